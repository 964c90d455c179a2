using System.Text.Json;
using Fleet502.Agent.Platform;
using Microsoft.Win32.SafeHandles;

namespace Fleet502.Agent.Tailing;

/// <summary>
/// File positions that survive a restart, in <c>checkpoints.json</c>, written atomically
/// (temp file, fsync, rename) and only when something changed.
/// </summary>
public sealed class CheckpointStore
{
    private readonly string _path;
    private readonly Lock _gate = new();
    private CheckpointFile _file;
    private string _lastWritten = "";

    public CheckpointStore(string stateDirectory, TimeProvider time)
    {
        Directory.CreateDirectory(stateDirectory);
        _path = Path.Combine(stateDirectory, "checkpoints.json");
        // A fresh store starts generations at the clock's seconds, so they never repeat what a lost store handed out.
        var fresh = new CheckpointFile { NextGeneration = (uint)Math.Max(1, time.GetUtcNow().ToUnixTimeSeconds() - 1_700_000_000) };
        _file = Load(_path, fresh, out var problem);
        LoadProblem = problem;
    }

    /// <summary>Why the stored checkpoints could not be used (then reading starts fresh), or null.</summary>
    public string? LoadProblem { get; }

    public IReadOnlyList<Checkpoint> Checkpoints
    {
        get
        {
            lock (_gate)
            {
                return [.. _file.Checkpoints];
            }
        }
    }

    public uint NextGeneration()
    {
        lock (_gate)
        {
            return _file.NextGeneration++;
        }
    }

    /// <summary>The checkpoint of this very file: same (device, inode) and still the same first bytes.</summary>
    public Checkpoint? Find(FileIdentity identity, SafeFileHandle handle)
    {
        foreach (var checkpoint in Checkpoints)
        {
            if (checkpoint.Device == identity.Device && checkpoint.Inode == identity.Inode
                && new FileFingerprint(checkpoint.FingerprintLength, checkpoint.FingerprintHash).Matches(handle))
            {
                return checkpoint;
            }
        }

        return null;
    }

    /// <summary>Replaces the stored set and writes it if it changed.</summary>
    public void Save(IEnumerable<Checkpoint> checkpoints)
    {
        string json;
        lock (_gate)
        {
            _file.Checkpoints = [.. checkpoints.OrderBy(c => c.Path, StringComparer.Ordinal)];
            json = JsonSerializer.Serialize(_file, TailingJsonContext.Default.CheckpointFile);
            if (json == _lastWritten)
            {
                return;
            }

            var temp = _path + ".tmp";
            using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                using var writer = new StreamWriter(stream);
                writer.Write(json);
                writer.Flush();
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, _path, overwrite: true);
            _lastWritten = json;
        }
    }

    private static CheckpointFile Load(string path, CheckpointFile fresh, out string? problem)
    {
        problem = null;
        if (!File.Exists(path))
        {
            return fresh;
        }

        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(path), TailingJsonContext.Default.CheckpointFile) ?? fresh;
        }
        catch (Exception e) when (e is JsonException or IOException or NotSupportedException or UnauthorizedAccessException)
        {
            problem = $"{path} is unreadable ({e.Message}); files start from their end";
            return fresh;
        }
    }
}
