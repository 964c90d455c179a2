using System.Runtime.InteropServices;
using System.Text;

namespace Fleet502.Agent.Sources.Kernel;

/// <summary>
/// Reads /dev/kmsg record by record (non-blocking; one read() = one record, so the buffer must hold
/// the largest: 8 KiB). A reader that falls behind the ring buffer gets EPIPE once and continues.
/// </summary>
public sealed class KmsgReader : IDisposable
{
    private const int RecordBuffer = 8192;
    private readonly int _fd;

    private KmsgReader(int fd) => _fd = fd;

    /// <summary>Opens the device; throws <see cref="UnauthorizedAccessException"/> without CAP_SYSLOG (dmesg_restrict).</summary>
    public static KmsgReader Open(string path = "/dev/kmsg")
    {
        var fd = KernelNative.Open(path, KernelNative.ReadOnlyNonBlocking);
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw errno is 1 or 13
                ? new UnauthorizedAccessException($"{path}: permission denied (needs root or CAP_SYSLOG)")
                : new IOException($"{path}: open failed, errno {errno}");
        }

        return new KmsgReader(fd);
    }

    /// <summary>The next record, or null when none is pending now.</summary>
    public unsafe string? TryRead()
    {
        var buffer = stackalloc byte[RecordBuffer];
        while (true)
        {
            var n = KernelNative.Read(_fd, buffer, RecordBuffer);
            if (n > 0)
            {
                return Encoding.UTF8.GetString(buffer, (int)n);
            }

            var errno = Marshal.GetLastPInvokeError();
            if (n < 0 && errno is KernelNative.Epipe or KernelNative.Eintr)
            {
                continue; // records were overwritten before we read them; go on with the next
            }

            if (n == 0 || errno == KernelNative.Eagain)
            {
                return null;
            }

            throw new IOException($"/dev/kmsg read failed, errno {errno}");
        }
    }

    public void Dispose() => KernelNative.Close(_fd);
}
