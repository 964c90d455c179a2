using System.Buffers;
using System.Buffers.Text;
using System.Runtime.InteropServices;
using System.Text;

namespace Fleet502.Agent.Sources.Processes;

/// <summary>
/// Reads procfs files with open/read/close on byte paths: no FileStream (which flocks and
/// allocates a strategy per open), no strings. Sampling reads thousands of these per pass.
/// </summary>
public static class ProcFs
{
    /// <summary>Longest path these helpers build (procfs paths are short; unix socket paths are ≤ 108 bytes).</summary>
    public const int MaxPath = 512;

    /// <summary>"&lt;root&gt;/&lt;pid&gt;/&lt;leaf&gt;\0" into <paramref name="into"/>; the length without the NUL, or -1 if it does not fit.</summary>
    public static int PidPath(Span<byte> into, ReadOnlySpan<byte> root, int pid, ReadOnlySpan<byte> leaf)
    {
        if (root.Length + leaf.Length + 14 > into.Length)
        {
            return -1;
        }

        root.CopyTo(into);
        var n = root.Length;
        into[n++] = (byte)'/';
        Utf8Formatter.TryFormat(pid, into[n..], out var written);
        n += written;
        into[n++] = (byte)'/';
        leaf.CopyTo(into[n..]);
        n += leaf.Length;
        into[n] = 0;
        return n;
    }

    /// <summary>Reads up to <paramref name="buffer"/>.Length bytes of a NUL-terminated path; -1 (errno in <paramref name="errno"/>) when it cannot be opened.</summary>
    public static unsafe int ReadSmall(ReadOnlySpan<byte> nulTerminatedPath, Span<byte> buffer, out int errno)
    {
        errno = 0;
        fixed (byte* p = nulTerminatedPath)
        fixed (byte* b = buffer)
        {
            var fd = ProcessNative.Open(p, ProcessNative.OpenReadOnlyCloseOnExec);
            if (fd < 0)
            {
                errno = Marshal.GetLastPInvokeError();
                return -1;
            }

            try
            {
                var total = 0;
                while (total < buffer.Length)
                {
                    var read = ProcessNative.Read(fd, b + total, buffer.Length - total);
                    if (read < 0)
                    {
                        if (Marshal.GetLastPInvokeError() == ProcessNative.Eintr)
                        {
                            continue;
                        }

                        // ESRCH and friends: the process went away between open and read.
                        return total;
                    }

                    if (read == 0)
                    {
                        break;
                    }

                    total += (int)read;
                }

                return total;
            }
            finally
            {
                ProcessNative.Close(fd);
            }
        }
    }

    /// <summary>
    /// Reads a whole (procfs) file into a pooled buffer, growing it as needed; the byte count, or -1
    /// when it cannot be opened. The buffer is kept by the caller across passes.
    /// </summary>
    public static unsafe int ReadAll(string path, ref byte[] buffer)
    {
        Span<byte> p = stackalloc byte[MaxPath];
        if (Encoding.UTF8.GetByteCount(path) >= p.Length)
        {
            return -1;
        }

        p[Encoding.UTF8.GetBytes(path, p)] = 0;
        fixed (byte* pp = p)
        {
            var fd = ProcessNative.Open(pp, ProcessNative.OpenReadOnlyCloseOnExec);
            if (fd < 0)
            {
                return -1;
            }

            try
            {
                var total = 0;
                while (true)
                {
                    if (total == buffer.Length)
                    {
                        var bigger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                        buffer.AsSpan(0, total).CopyTo(bigger);
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = bigger;
                    }

                    nint read;
                    fixed (byte* b = buffer)
                    {
                        read = ProcessNative.Read(fd, b + total, buffer.Length - total);
                    }

                    if (read < 0)
                    {
                        if (Marshal.GetLastPInvokeError() == ProcessNative.Eintr)
                        {
                            continue;
                        }

                        return total;
                    }

                    if (read == 0)
                    {
                        return total;
                    }

                    total += (int)read;
                }
            }
            finally
            {
                ProcessNative.Close(fd);
            }
        }
    }

    /// <summary>The next space-separated field of <paramref name="line"/> from <paramref name="position"/> on (empty at the end).</summary>
    public static ReadOnlySpan<byte> NextField(ReadOnlySpan<byte> line, ref int position)
    {
        while (position < line.Length && line[position] == (byte)' ')
        {
            position++;
        }

        var start = position;
        while (position < line.Length && line[position] != (byte)' ')
        {
            position++;
        }

        return line[start..position];
    }

    /// <summary>Parses unsigned hex ASCII; false on anything else or overflow.</summary>
    public static bool TryParseHex(ReadOnlySpan<byte> hex, out ulong value)
    {
        value = 0;
        if (hex.IsEmpty || hex.Length > 16)
        {
            return false;
        }

        foreach (var c in hex)
        {
            int digit = c switch
            {
                >= (byte)'0' and <= (byte)'9' => c - '0',
                >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
                >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
                _ => -1,
            };
            if (digit < 0)
            {
                return false;
            }

            value = (value << 4) | (uint)digit;
        }

        return true;
    }
}
