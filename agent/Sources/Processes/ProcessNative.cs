using System.Runtime.InteropServices;

namespace Fleet502.Agent.Sources.Processes;

/// <summary>libc calls host-state sampling needs (readlink without allocation, statx). Source-generated: NativeAOT-clean.</summary>
internal static unsafe partial class ProcessNative
{
    internal const int AtFdCwd = -100;
    internal const int StatxBasicStats = 0x7ff;

    [LibraryImport("libc", EntryPoint = "readlink", SetLastError = true)]
    internal static partial nint ReadLink(byte* path, byte* buffer, nint size);

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial int Statx(int dirFd, string path, int flags, int mask, byte* statx);

    [LibraryImport("libc", EntryPoint = "getuid")]
    internal static partial uint GetUid();
}
