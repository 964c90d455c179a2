using System.Runtime.InteropServices;

namespace Fleet502.Agent.Platform;

/// <summary>A file's (device, inode): what stays the same when logrotate renames it.</summary>
public readonly record struct FileIdentity(ulong Device, ulong Inode)
{
    /// <summary>stat(2) of a path; null when it does not exist or cannot be read.</summary>
    public static FileIdentity? Of(string path)
    {
        // st_dev and st_ino are the first two 64-bit fields of struct stat on x86_64 and arm64.
        Span<ulong> buffer = stackalloc ulong[32];
        return Native.Stat(path, ref MemoryMarshal.GetReference(buffer)) == 0 ? new FileIdentity(buffer[0], buffer[1]) : null;
    }
}
