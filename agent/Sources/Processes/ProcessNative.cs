using System.Runtime.InteropServices;

namespace Fleet502.Agent.Sources.Processes;

/// <summary>libc calls host-state sampling needs (open/read without FileStream's flock and strategy objects, readlink, statx). Source-generated: NativeAOT-clean.</summary>
internal static unsafe partial class ProcessNative
{
    internal const int AtFdCwd = -100;
    internal const int StatxBasicStats = 0x7ff;
    internal const int OpenReadOnlyCloseOnExec = 0x80000;
    internal const int Eintr = 4;

    [LibraryImport("libc", EntryPoint = "readlink", SetLastError = true)]
    internal static partial nint ReadLink(byte* path, byte* buffer, nint size);

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial int Statx(int dirFd, string path, int flags, int mask, byte* statx);

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true)]
    internal static partial int Statx(int dirFd, byte* path, int flags, int mask, byte* statx);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true)]
    internal static partial int Open(byte* path, int flags);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    internal static partial nint Read(int fd, byte* buffer, nint count);

    [LibraryImport("libc", EntryPoint = "close")]
    internal static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "getuid")]
    internal static partial uint GetUid();
}
