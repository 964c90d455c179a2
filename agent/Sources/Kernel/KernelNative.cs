using System.Runtime.InteropServices;

namespace Fleet502.Agent.Sources.Kernel;

/// <summary>open/read/close for /dev/kmsg, whose read() returns exactly one record. Source-generated: NativeAOT-clean.</summary>
internal static unsafe partial class KernelNative
{
    internal const int ReadOnlyNonBlocking = 0x800; // O_RDONLY | O_NONBLOCK
    internal const int Eagain = 11;
    internal const int Epipe = 32;
    internal const int Eintr = 4;

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    internal static partial nint Read(int fd, byte* buffer, nint count);

    [LibraryImport("libc", EntryPoint = "close")]
    internal static partial int Close(int fd);
}
