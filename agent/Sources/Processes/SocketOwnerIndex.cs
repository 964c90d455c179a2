using System.Globalization;
using System.Text;

namespace Fleet502.Agent.Sources.Processes;

/// <summary>
/// Socket inode → owning pid, found the way <c>ss -p</c> does (readlink of every
/// <c>/proc/&lt;pid&gt;/fd/*</c> → "socket:[inode]"), but cached: a known owner is re-checked with one
/// readlink, and the full scan runs only for inodes not seen before (or, for inodes no readable
/// process holds, once per <c>retryUnresolved</c>).
/// </summary>
public sealed class SocketOwnerIndex(TimeProvider time, string procRoot = "/proc", TimeSpan? retryUnresolved = null)
{
    private readonly TimeSpan _retryUnresolved = retryUnresolved ?? TimeSpan.FromSeconds(30);
    private readonly Dictionary<ulong, (int Pid, int Fd)> _owners = [];
    private readonly Dictionary<ulong, long> _unresolvedSince = [];

    /// <summary>Processes whose fd table the last full scan could not read (other users, no CAP_SYS_PTRACE).</summary>
    public int UnreadableProcesses { get; private set; }

    /// <summary>Full /proc scans done so far (for tests and the benchmark).</summary>
    public int FullScans { get; private set; }

    /// <summary>The owner of each inode that some readable process holds (lowest pid: the master of a pre-fork server).</summary>
    public Dictionary<ulong, int> Resolve(IReadOnlyCollection<ulong> inodes)
    {
        var result = new Dictionary<ulong, int>(inodes.Count);
        var missing = new HashSet<ulong>();
        var scanNeeded = false;
        var now = time.GetTimestamp();
        foreach (var inode in inodes)
        {
            if (inode == 0)
            {
                continue;
            }

            if (_owners.TryGetValue(inode, out var owner) && LinkTarget(owner.Pid, owner.Fd) == inode)
            {
                result[inode] = owner.Pid;
                continue;
            }

            _owners.Remove(inode);
            missing.Add(inode);
            if (!_unresolvedSince.TryGetValue(inode, out var since) || time.GetElapsedTime(since, now) >= _retryUnresolved)
            {
                scanNeeded = true;
            }
        }

        if (scanNeeded)
        {
            Scan(missing);
            foreach (var inode in missing)
            {
                if (_owners.TryGetValue(inode, out var owner))
                {
                    result[inode] = owner.Pid;
                    _unresolvedSince.Remove(inode);
                }
                else
                {
                    _unresolvedSince[inode] = now;
                }
            }
        }

        // Forget inodes that are no longer listening.
        foreach (var stale in _unresolvedSince.Keys.Where(i => !missing.Contains(i)).ToList())
        {
            _unresolvedSince.Remove(stale);
        }

        return result;
    }

    private void Scan(HashSet<ulong> wanted)
    {
        FullScans++;
        var unreadable = 0;
        var remaining = wanted.Count;
        foreach (var dir in Directory.EnumerateDirectories(procRoot))
        {
            var name = Path.GetFileName(dir.AsSpan());
            if (!int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                foreach (var fdPath in Directory.EnumerateFileSystemEntries(Path.Combine(dir, "fd")))
                {
                    if (!int.TryParse(Path.GetFileName(fdPath.AsSpan()), NumberStyles.None, CultureInfo.InvariantCulture, out var fd))
                    {
                        continue;
                    }

                    var inode = LinkTarget(fdPath);
                    if (inode != 0 && wanted.Contains(inode) && !_owners.ContainsKey(inode))
                    {
                        _owners[inode] = (pid, fd);
                        if (--remaining == 0)
                        {
                            // /proc lists pids in ascending order: the first holder found is the lowest pid.
                            UnreadableProcesses = unreadable;
                            return;
                        }
                    }
                }
            }
            catch (UnauthorizedAccessException)
            {
                unreadable++;
            }
            catch (IOException)
            {
                // the process exited while we looked
            }
        }

        UnreadableProcesses = unreadable;
    }

    private ulong LinkTarget(int pid, int fd) =>
        LinkTarget(string.Create(CultureInfo.InvariantCulture, $"{procRoot}/{pid}/fd/{fd}"));

    // readlink into a stack buffer: "socket:[12345]" → 12345, anything else → 0.
    private static unsafe ulong LinkTarget(string path)
    {
        Span<byte> pathBytes = stackalloc byte[512];
        var length = Encoding.UTF8.GetBytes(path, pathBytes[..^1]);
        pathBytes[length] = 0;
        var target = stackalloc byte[64];
        nint read;
        fixed (byte* p = pathBytes)
        {
            read = ProcessNative.ReadLink(p, target, 64);
        }

        if (read < 9)
        {
            return 0;
        }

        var text = new ReadOnlySpan<byte>(target, (int)read);
        if (!text.StartsWith("socket:["u8) || text[^1] != (byte)']')
        {
            return 0;
        }

        return ulong.TryParse(text[8..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var inode) ? inode : 0;
    }
}
