using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Fleet502.Agent.Sources.Listeners;

/// <summary>
/// inotify on the directories that hold unix sockets: which of them saw an entry created, removed
/// or renamed, or a mode/owner change of theirs or of an entry, since the previous <see cref="Poll"/>.
/// Lets a pass skip the statx of socket paths nothing touched (a statx is ~3 µs; a busy host has
/// thousands of socket paths). Without inotify (or a watch) every path is stat'ed, as before.
/// </summary>
public sealed partial class DirectoryChangeWatcher : IDisposable
{
    private const uint InAttrib = 0x4;
    private const uint InMovedFrom = 0x40;
    private const uint InMovedTo = 0x80;
    private const uint InCreate = 0x100;
    private const uint InDelete = 0x200;
    private const uint InDeleteSelf = 0x400;
    private const uint InMoveSelf = 0x800;
    private const uint InQueueOverflow = 0x4000;
    private const uint InIgnored = 0x8000;
    private const uint InOnlyDirectory = 0x01000000;
    private const uint Mask = InAttrib | InMovedFrom | InMovedTo | InCreate | InDelete | InDeleteSelf | InMoveSelf | InOnlyDirectory;
    private const int NonBlockCloseOnExec = 0x800 | 0x80000;
    private const int HeaderSize = 16;

    private readonly InotifyHandle? _handle;
    private readonly Dictionary<string, int> _byDirectory = new(StringComparer.Ordinal);
    private readonly Dictionary<int, string> _byWatch = [];
    private readonly HashSet<int> _changed = [];
    private readonly byte[] _buffer = new byte[16 * 1024];
    private bool _overflow;

    public DirectoryChangeWatcher()
    {
        var fd = InotifyInit(NonBlockCloseOnExec);
        _handle = fd >= 0 ? new InotifyHandle(fd) : null;
    }

    /// <summary>inotify works here (it may not: instance limit, seccomp).</summary>
    public bool Available => _handle is not null;

    /// <summary>Directories watched now.</summary>
    public int Watched => _byDirectory.Count;

    /// <summary>Collects what changed since the previous call (one call per pass, before the paths are looked at).</summary>
    public unsafe void Poll()
    {
        _changed.Clear();
        _overflow = false;
        if (_handle is null)
        {
            return;
        }

        while (true)
        {
            nint read;
            fixed (byte* b = _buffer)
            {
                read = Read(_handle.DangerousGetHandle().ToInt32(), b, _buffer.Length);
            }

            if (read <= 0)
            {
                return; // EAGAIN: nothing more pending
            }

            var events = _buffer.AsSpan(0, (int)read);
            while (events.Length >= HeaderSize)
            {
                var wd = MemoryMarshal.Read<int>(events);
                var mask = MemoryMarshal.Read<uint>(events[4..]);
                var nameLength = MemoryMarshal.Read<uint>(events[12..]);
                if ((mask & InQueueOverflow) != 0)
                {
                    _overflow = true;
                }
                else
                {
                    _changed.Add(wd);
                }

                if ((mask & InIgnored) != 0 && _byWatch.Remove(wd, out var gone))
                {
                    // The directory went away: the next look watches its successor afresh.
                    _byDirectory.Remove(gone);
                }

                events = events[(HeaderSize + (int)Math.Min(nameLength, (uint)events.Length - HeaderSize))..];
            }
        }
    }

    /// <summary>
    /// True when <paramref name="directory"/> has been watched since before the last <see cref="Poll"/>
    /// and nothing happened in it; false otherwise (and it is watched from now on).
    /// </summary>
    public unsafe bool Unchanged(ReadOnlySpan<char> directory)
    {
        if (_handle is null)
        {
            return false;
        }

        var lookup = _byDirectory.GetAlternateLookup<ReadOnlySpan<char>>();
        if (lookup.TryGetValue(directory, out var wd))
        {
            return wd >= 0 && !_overflow && !_changed.Contains(wd);
        }

        var name = directory.ToString();
        Span<byte> path = stackalloc byte[Processes.ProcFs.MaxPath];
        var length = Encoding.UTF8.GetByteCount(name);
        wd = -1;
        if (length < path.Length)
        {
            Encoding.UTF8.GetBytes(name, path);
            path[length] = 0;
            fixed (byte* p = path)
            {
                wd = AddWatch(_handle.DangerousGetHandle().ToInt32(), p, Mask);
            }
        }

        // -1 (no permission, watch limit): remembered, so the path is simply stat'ed every pass.
        _byDirectory[name] = wd;
        if (wd >= 0)
        {
            _byWatch[wd] = name;
        }

        return false;
    }

    public void Dispose() => _handle?.Dispose();

    [LibraryImport("libc", EntryPoint = "inotify_init1", SetLastError = true)]
    private static partial int InotifyInit(int flags);

    [LibraryImport("libc", EntryPoint = "inotify_add_watch", SetLastError = true)]
    private static unsafe partial int AddWatch(int fd, byte* path, uint mask);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static unsafe partial nint Read(int fd, byte* buffer, nint count);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);

    // Closed by the GC if nobody disposes the watcher (tests make many): inotify instances are limited per user.
    private sealed class InotifyHandle : SafeHandleZeroOrMinusOneIsInvalid
    {
        public InotifyHandle(int fd)
            : base(ownsHandle: true) => SetHandle(fd);

        protected override bool ReleaseHandle() => DirectoryChangeWatcher.Close(handle.ToInt32()) == 0;
    }
}
