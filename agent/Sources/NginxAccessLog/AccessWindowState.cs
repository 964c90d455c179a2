using Fleet502.Protos.V1;
using Google.Protobuf.WellKnownTypes;

namespace Fleet502.Agent.Sources.NginxAccessLog;

/// <summary>
/// Running counters of one (server, upstream) window. Pooled and reset between periods, so a
/// steady stream of lines allocates nothing.
/// </summary>
public sealed class AccessWindowState
{
    // $status and $upstream_status are three digits; anything else is counted under 0.
    private const int StatusSlots = 1000;

    private readonly uint[] _statuses = new uint[StatusSlots];
    private readonly uint[] _upstreamStatuses = new uint[StatusSlots];

    public string Server { get; set; } = "";
    public string Upstream { get; set; } = "";
    public string UpstreamGroup { get; set; } = "";
    public ulong Requests { get; set; }
    public ulong Attempts { get; set; }
    public ulong UpstreamStatusMissing { get; set; }
    public ulong NginxGenerated { get; set; }
    public ulong UpstreamGenerated { get; set; }
    public ulong VerdictUnknown { get; set; }
    public ulong NginxPageSize { get; set; }
    public ulong Retried { get; set; }
    public ulong GroupSwitches { get; set; }
    public LatencyHistogram RequestTime { get; } = new();
    public LatencyHistogram UpstreamResponseTime { get; } = new();

    public void CountStatus(int status) => _statuses[(uint)status < StatusSlots ? status : 0]++;

    public void CountUpstreamStatus(int status) => _upstreamStatuses[(uint)status < StatusSlots ? status : 0]++;

    public AccessWindow ToProto(long startUnixSeconds, int seconds, string logFormat, ulong malformed, bool late)
    {
        var window = new AccessWindow
        {
            Server = Server,
            Upstream = Upstream,
            UpstreamGroup = UpstreamGroup,
            Start = new Timestamp { Seconds = startUnixSeconds },
            Seconds = (uint)seconds,
            LogFormat = logFormat,
            Requests = Requests,
            Attempts = Attempts,
            UpstreamStatusMissing = UpstreamStatusMissing,
            RequestTime = RequestTime.ToProto(),
            UpstreamResponseTime = UpstreamResponseTime.ToProto(),
            NginxGenerated = NginxGenerated,
            UpstreamGenerated = UpstreamGenerated,
            VerdictUnknown = VerdictUnknown,
            NginxPageSize = NginxPageSize,
            Retried = Retried,
            GroupSwitches = GroupSwitches,
            MalformedLines = malformed,
            Late = late,
        };
        for (var s = 0; s < StatusSlots; s++)
        {
            if (_statuses[s] != 0)
            {
                window.Statuses[(uint)s] = _statuses[s];
            }

            if (_upstreamStatuses[s] != 0)
            {
                window.UpstreamStatuses[(uint)s] = _upstreamStatuses[s];
            }
        }

        return window;
    }

    public void Reset()
    {
        Array.Clear(_statuses);
        Array.Clear(_upstreamStatuses);
        Server = Upstream = UpstreamGroup = "";
        Requests = Attempts = UpstreamStatusMissing = NginxGenerated = UpstreamGenerated = VerdictUnknown = NginxPageSize = Retried = GroupSwitches = 0;
        RequestTime.Reset();
        UpstreamResponseTime.Reset();
    }
}
