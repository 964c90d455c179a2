using System.Runtime;
using System.Runtime.CompilerServices;

namespace Fleet502.Bench;

internal static class Machine
{
    /// <summary>CPU model, CPUs usable by this process (taskset shows here), runtime and GC mode.</summary>
    public static string Describe()
    {
        var model = "unknown CPU";
        try
        {
            model = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? model;
        }
        catch (IOException)
        {
        }

        var runtime = RuntimeFeature.IsDynamicCodeCompiled ? "JIT" : "NativeAOT";
        var gc = GCSettings.IsServerGC ? "server GC" : "workstation GC";
        return $"{model}; {Environment.ProcessorCount} usable CPU(s) of {CpuCount()}; {runtime}, {gc}";
    }

    private static string CpuCount()
    {
        try
        {
            return File.ReadLines("/proc/cpuinfo").Count(l => l.StartsWith("processor", StringComparison.Ordinal)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return "?";
        }
    }
}
