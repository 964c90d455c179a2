using System.Runtime.InteropServices;

namespace Fleet502.Agent.Platform;

/// <summary>A file's (device, inode): what stays the same when logrotate renames it.</summary>
public readonly record struct FileIdentity(ulong Device, ulong Inode)
{
    private const uint FileTypeMask = 0xF000; // S_IFMT
    private const uint RegularFile = 0x8000; // S_IFREG

    /// <summary>stat(2) of a path; null when it does not exist or cannot be read.</summary>
    public static FileIdentity? Of(string path) => Stat(path, out var identity, out _) ? identity : null;

    /// <summary>stat(2) of a path, also telling whether it is a regular file (not a directory, FIFO, socket or device).</summary>
    public static bool Stat(string path, out FileIdentity identity, out bool isRegularFile)
    {
        // st_dev and st_ino are the first two 64-bit fields of struct stat on x86_64 and arm64;
        // st_mode sits at byte 24 on x86_64 and byte 16 on arm64 (asm-generic layout).
        Span<ulong> buffer = stackalloc ulong[32];
        identity = default;
        isRegularFile = false;
        if (Native.Stat(path, ref MemoryMarshal.GetReference(buffer)) != 0)
        {
            return false;
        }

        var bytes = MemoryMarshal.AsBytes(buffer);
        var modeOffset = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 24 : 16;
        var mode = MemoryMarshal.Read<uint>(bytes[modeOffset..]);
        identity = new FileIdentity(buffer[0], buffer[1]);
        isRegularFile = (mode & FileTypeMask) == RegularFile;
        return true;
    }

    public override string ToString() => $"{Device}:{Inode}";
}
