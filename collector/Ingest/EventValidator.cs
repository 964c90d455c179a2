using Fleet502.Collector.Correlation;
using Fleet502.Protos.V1;
using Google.Protobuf.WellKnownTypes;

namespace Fleet502.Collector.Ingest;

/// <summary>Says what is wrong with an event from an agent, so bad input is counted and skipped.</summary>
internal static class EventValidator
{
    // Anything outside 2000..2200 is a broken clock or a broken encoder, not an observation.
    private static readonly DateTimeOffset Earliest = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Latest = new(2200, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>True when the seq can be stored and de-duplicated at all.</summary>
    public static bool HasUsableSeq(Event e) => e.Seq is > 0 and <= long.MaxValue;

    /// <summary>Null when the event is usable, else the reason in a few words.</summary>
    public static string? Check(Event e)
    {
        if (!IsValidTime(e.Time))
        {
            return "time is missing or out of range";
        }

        return e.BodyCase switch
        {
            Event.BodyOneofCase.None => "no body this collector knows",
            Event.BodyOneofCase.UpstreamError => CheckUpstreamError(e.UpstreamError),
            Event.BodyOneofCase.ListenerSnapshot => CheckListeners(e.ListenerSnapshot),
            Event.BodyOneofCase.AccessWindow when !IsValidTime(e.AccessWindow.Start) => "access_window start is missing or out of range",
            _ => null, // heartbeats and state no rule reads yet: stored as they are
        };
    }

    private static string? CheckUpstreamError(UpstreamError error)
    {
        if (!TargetAddress.IsUsable(error.Target))
        {
            return "upstream_error names no target";
        }

        if (error.Status is < 0 or > 999)
        {
            return $"upstream_error status {error.Status} is not an HTTP status";
        }

        if ((error.FirstTime is not null && !IsValidTime(error.FirstTime)) || (error.LastTime is not null && !IsValidTime(error.LastTime)))
        {
            return "upstream_error first_time/last_time out of range";
        }

        return null;
    }

    private static string? CheckListeners(ListenerSnapshot snapshot)
    {
        foreach (var listener in snapshot.Listeners)
        {
            var problem = listener.Transport switch
            {
                Transport.Tcp4 or Transport.Tcp6 when listener.Port is 0 or > 65535 => $"listener port {listener.Port} out of range",
                Transport.Tcp4 or Transport.Tcp6 => null,
                Transport.Unix when string.IsNullOrEmpty(listener.UnixPath) => "unix listener without a path",
                Transport.Unix => null,
                _ => "listener without a transport",
            };
            if (problem is not null)
            {
                return problem;
            }
        }

        return null;
    }

    private static bool IsValidTime(Timestamp? time)
    {
        if (time is null || time.Nanos is < 0 or > 999_999_999)
        {
            return false;
        }

        var seconds = time.Seconds;
        return seconds >= Earliest.ToUnixTimeSeconds() && seconds < Latest.ToUnixTimeSeconds();
    }
}
