using System.IO.Hashing;
using Microsoft.Win32.SafeHandles;

namespace Fleet502.Agent.Tailing;

/// <summary>
/// Hash of a file's first bytes. It grows with the file up to <see cref="MaxLength"/>, so a quiet
/// error.log of 300 bytes still has one (a fixed 1 KiB prefix would leave it unidentifiable).
/// Together with (device, inode) it tells a recycled inode or a truncated file from the file we
/// were reading.
/// </summary>
public readonly record struct FileFingerprint(int Length, ulong Hash)
{
    public const int MaxLength = 4096;

    public static FileFingerprint Of(SafeFileHandle handle)
    {
        Span<byte> buffer = stackalloc byte[MaxLength];
        var n = ReadPrefix(handle, buffer);
        return new FileFingerprint(n, XxHash3.HashToUInt64(buffer[..n]));
    }

    /// <summary>True when the file still starts with the bytes this fingerprint was taken of.</summary>
    public bool Matches(SafeFileHandle handle)
    {
        if (Length == 0)
        {
            return true;
        }

        Span<byte> buffer = stackalloc byte[Length];
        return ReadPrefix(handle, buffer) == Length && XxHash3.HashToUInt64(buffer) == Hash;
    }

    private static int ReadPrefix(SafeFileHandle handle, Span<byte> buffer)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var n = RandomAccess.Read(handle, buffer[total..], total);
            if (n <= 0)
            {
                break;
            }

            total += n;
        }

        return total;
    }
}
