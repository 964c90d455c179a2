using System.Globalization;
using System.Runtime.InteropServices;

namespace Fleet502.Bench;

/// <summary>
/// What this process has cost so far: CPU time from getrusage (user + system, microseconds, all
/// threads, so GC work counts), resident set from /proc/self/status, allocations from the GC.
/// </summary>
internal static partial class ProcessStats
{
    private const int RusageSelf = 0;

    public static Snapshot Take() => new(CpuTime(), GC.GetTotalAllocatedBytes(precise: true), System.Diagnostics.Stopwatch.GetTimestamp());

    /// <summary>User + system CPU of the whole process.</summary>
    public static TimeSpan CpuTime()
    {
        if (GetRUsage(RusageSelf, out var usage) != 0)
        {
            throw new InvalidOperationException($"getrusage failed: errno {Marshal.GetLastPInvokeError()}");
        }

        var micros = (usage.UserSeconds + usage.SystemSeconds) * 1_000_000 + usage.UserMicros + usage.SystemMicros;
        return TimeSpan.FromMicroseconds(micros);
    }

    /// <summary>Peak resident set (VmHWM) in bytes.</summary>
    public static long PeakRss() => StatusField("VmHWM:");

    /// <summary>Current resident set (VmRSS) in bytes.</summary>
    public static long Rss() => StatusField("VmRSS:");

    private static long StatusField(string name)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith(name, StringComparison.Ordinal))
            {
                var value = line.AsSpan(name.Length).Trim();
                var space = value.IndexOf(' ');
                return long.Parse(space < 0 ? value : value[..space], NumberStyles.None, CultureInfo.InvariantCulture) * 1024;
            }
        }

        return 0;
    }

    [LibraryImport("libc", EntryPoint = "getrusage", SetLastError = true)]
    private static partial int GetRUsage(int who, out RUsage usage);

    // struct rusage on 64-bit Linux: two timevals, then 14 longs.
    [StructLayout(LayoutKind.Sequential)]
    private struct RUsage
    {
        public long UserSeconds;
        public long UserMicros;
        public long SystemSeconds;
        public long SystemMicros;
        public long MaxRss;
        public long Ixrss;
        public long Idrss;
        public long Isrss;
        public long MinorFaults;
        public long MajorFaults;
        public long Swaps;
        public long BlocksIn;
        public long BlocksOut;
        public long MessagesSent;
        public long MessagesReceived;
        public long Signals;
        public long VoluntarySwitches;
        public long InvoluntarySwitches;
    }

    internal readonly record struct Snapshot(TimeSpan Cpu, long Allocated, long Timestamp)
    {
        public Delta Since(Snapshot start) =>
            new(Cpu - start.Cpu, Allocated - start.Allocated, System.Diagnostics.Stopwatch.GetElapsedTime(start.Timestamp, Timestamp));
    }

    internal readonly record struct Delta(TimeSpan Cpu, long Allocated, TimeSpan Wall);
}
