using System.Runtime.CompilerServices;

namespace Fleet502.Tests.Agent.HostState;

/// <summary>Reads files from Recorded/ next to this source file (no csproj copy rule needed).</summary>
public static class RecordedOutput
{
    public static string Read(string name, [CallerFilePath] string here = "") =>
        File.ReadAllText(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(here))!, "Recorded", name));

    public static string PathOf(string name, [CallerFilePath] string here = "") =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(here))!, "Recorded", name);
}
