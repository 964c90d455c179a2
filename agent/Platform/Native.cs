using System.Runtime.InteropServices;

namespace Fleet502.Agent.Platform;

/// <summary>The few libc calls .NET has no API for. Source-generated, so NativeAOT-clean.</summary>
internal static partial class Native
{
    [LibraryImport("libc", EntryPoint = "stat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial int Stat(string path, ref ulong buffer);
}
