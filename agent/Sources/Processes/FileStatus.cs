using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Fleet502.Agent.Sources.Processes;

/// <summary>What statx(2) says about a path: type, owner, permission bits.</summary>
public readonly record struct FileStatus(uint Mode, uint Uid, uint Gid, ulong Inode)
{
    private const uint TypeMask = 0xF000;

    public bool IsSocket => (Mode & TypeMask) == 0xC000;

    public bool IsDirectory => (Mode & TypeMask) == 0x4000;

    public uint Permissions => Mode & 0xFFF;

    /// <summary>statx of <paramref name="path"/> (following symlinks, as connect() does); the errno on failure.</summary>
    public static unsafe FileStatus? Of(string path, out int errno)
    {
        // struct statx has the same layout on every architecture, unlike struct stat.
        var buffer = stackalloc byte[256];
        if (ProcessNative.Statx(ProcessNative.AtFdCwd, path, 0, ProcessNative.StatxBasicStats, buffer) != 0)
        {
            errno = Marshal.GetLastPInvokeError();
            return null;
        }

        return Decode(buffer, out errno);
    }

    /// <summary>statx of a NUL-terminated UTF-8 path (no marshalling).</summary>
    public static unsafe FileStatus? Of(ReadOnlySpan<byte> nulTerminatedPath, out int errno)
    {
        var buffer = stackalloc byte[256];
        fixed (byte* p = nulTerminatedPath)
        {
            if (ProcessNative.Statx(ProcessNative.AtFdCwd, p, 0, ProcessNative.StatxBasicStats, buffer) != 0)
            {
                errno = Marshal.GetLastPInvokeError();
                return null;
            }
        }

        return Decode(buffer, out errno);
    }

    private static unsafe FileStatus Decode(byte* buffer, out int errno)
    {
        errno = 0;
        var span = new ReadOnlySpan<byte>(buffer, 256);
        return new FileStatus(
            Mode: BinaryPrimitives.ReadUInt16LittleEndian(span[28..]),
            Uid: BinaryPrimitives.ReadUInt32LittleEndian(span[20..]),
            Gid: BinaryPrimitives.ReadUInt32LittleEndian(span[24..]),
            Inode: BinaryPrimitives.ReadUInt64LittleEndian(span[32..]));
    }
}
