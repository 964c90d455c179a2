using System.Text;
using Fleet502.Agent.Sources.NginxErrorLog;
using Fleet502.Protos.V1;
using Google.Protobuf.WellKnownTypes;

namespace Fleet502.Agent.Sources.PhpFpmLog;

/// <summary>
/// Turns php-fpm error-log lines into <see cref="FpmLog"/> events and folds repeats, the way the nginx
/// error coalescer does: the first line of a (file, kind, pool, signal/exit code) key in a second of
/// the log leaves at once; the rest of that second becomes one event with a count, sent when the file
/// moves on to a later second or has been quiet for the window. Groups follow the file's timestamps,
/// so a re-read rebuilds the same events. php-fpm writes few lines (a max_children warning once per
/// saturation, one line per child exit), so this keeps strings per group rather than pooling bytes.
/// </summary>
public sealed class FpmLogCoalescer(TimeSpan window, TimeProvider time, Action<LineOrigin>? opened = null)
{
    private const int MaxRawBytes = 4096;
    private const int SigQuit = 3;
    private readonly Dictionary<GroupKey, Group> _groups = [];
    private readonly Dictionary<(ulong Device, ulong Inode), DateTime> _fileSeconds = [];
    private readonly List<Event> _ready = [];

    /// <summary>Groups holding lines not sent yet.</summary>
    public int PendingCount => _groups.Values.Count(g => g.Count > 0);

    /// <summary>What a parsed line is reported as; Unspecified for lines that are context only (child started, slowlog bodies, graceful exits).</summary>
    public static FpmLogKind KindOf(in PhpFpmLine line) => line.Kind switch
    {
        PhpFpmEventKind.MaxChildrenReached => FpmLogKind.MaxChildrenReached,
        PhpFpmEventKind.ProcessMaxReached => FpmLogKind.ProcessMaxReached,
        PhpFpmEventKind.SeemsBusy => FpmLogKind.SeemsBusy,
        PhpFpmEventKind.ChildExitedOnSignal when line.Code != SigQuit => FpmLogKind.ChildKilled,
        PhpFpmEventKind.ChildExitedWithCode when line.Code != 0 => FpmLogKind.ChildFailed,
        PhpFpmEventKind.SlowRequest => FpmLogKind.SlowRequest,
        PhpFpmEventKind.RequestTerminated => FpmLogKind.RequestTerminated,
        PhpFpmEventKind.EmergencyRestart => FpmLogKind.EmergencyRestart,
        PhpFpmEventKind.StartupFailure => FpmLogKind.StartupFailure,
        PhpFpmEventKind.MasterStopping => FpmLogKind.MasterStopping,
        PhpFpmEventKind.MasterReady => FpmLogKind.MasterReady,
        _ => FpmLogKind.Unspecified,
    };

    /// <summary>Adds one parsed line; false when the line is not reported (see <see cref="KindOf"/>).</summary>
    public bool Add(in PhpFpmLine line, ReadOnlySpan<byte> raw, in LineOrigin origin)
    {
        var kind = KindOf(line);
        if (kind == FpmLogKind.Unspecified)
        {
            return false;
        }

        var at = ToUtc(line.LocalTime) ?? time.GetUtcNow().UtcDateTime;
        if (window <= TimeSpan.Zero || line.LocalTime is not { } second)
        {
            // Nothing to group by (coalescing off, or a line without php-fpm's timestamp): one event per line.
            Emit(Create(line, kind, raw, at), origin, 1, at);
            return true;
        }

        var file = (origin.Device, origin.Inode);
        if (!_fileSeconds.TryGetValue(file, out var latest) || second > latest)
        {
            _fileSeconds[file] = second;
        }

        var key = new GroupKey(origin.Device, origin.Inode, kind, Encoding.UTF8.GetString(line.Pool), line.Code);
        if (_groups.TryGetValue(key, out var group) && group.Second == second)
        {
            if (group.Count == 0)
            {
                // The group's event will be named by this line: keep it behind the checkpoint until acknowledged.
                opened?.Invoke(origin);
                group.Open(Create(line, kind, raw, at), origin);
            }
            else
            {
                group.Count++;
            }

            group.Last = at;
            group.LastArrival = time.GetTimestamp();
            return true;
        }

        if (group is not null && group.Count > 0)
        {
            _ready.Add(Complete(group));
        }

        // First of its key in this second: at once, so the collector hears of it without waiting.
        Emit(Create(line, kind, raw, at), origin, 1, at);
        _groups[key] = new Group(second) { LastArrival = time.GetTimestamp() };
        return true;
    }

    /// <summary>Appends the events that are ready: first lines, and groups whose second is over.</summary>
    public void Drain(List<Event> ready)
    {
        ArgumentNullException.ThrowIfNull(ready);
        List<GroupKey>? done = null;
        foreach (var (key, group) in _groups)
        {
            var fileMovedOn = _fileSeconds.TryGetValue((key.Device, key.Inode), out var latest) && latest > group.Second;
            var quiet = time.GetElapsedTime(group.LastArrival) >= window;
            if (!fileMovedOn && !quiet)
            {
                continue;
            }

            if (group.Count > 0)
            {
                _ready.Add(Complete(group));
            }

            (done ??= []).Add(key);
        }

        done?.ForEach(k => _groups.Remove(k));
        ready.AddRange(_ready);
        _ready.Clear();
    }

    private Event Complete(Group group)
    {
        var evt = group.Event!;
        evt.FpmLog.Count = group.Count;
        evt.FpmLog.LastTime = Timestamp.FromDateTime(group.Last);
        evt.Source = group.First.ToSourceRef();
        group.Count = 0;
        group.Event = null;
        return evt;
    }

    private void Emit(Event evt, in LineOrigin origin, uint count, DateTime last)
    {
        opened?.Invoke(origin);
        evt.FpmLog.Count = count;
        evt.FpmLog.LastTime = Timestamp.FromDateTime(last);
        evt.Source = origin.ToSourceRef();
        _ready.Add(evt);
    }

    private static Event Create(in PhpFpmLine line, FpmLogKind kind, ReadOnlySpan<byte> raw, DateTime at)
    {
        var classification = PhpFpmClassifier.Classify(line);
        var fpm = new FpmLog
        {
            Kind = kind,
            Pool = Encoding.UTF8.GetString(line.Pool),
            Cause = classification.Cause,
            Status = classification.Status,
            Pid = line.Pid,
            Seconds = line.Seconds,
            Limit = (uint)Math.Max(0, line.Limit),
            Script = Encoding.UTF8.GetString(line.Script),
            Request = Encoding.UTF8.GetString(line.Request),
            Level = line.Level == PhpFpmLevel.Unknown ? "" : line.Level.ToString().ToLowerInvariant(),
            FirstTime = Timestamp.FromDateTime(at),
            Raw = Encoding.UTF8.GetString(raw.Length > MaxRawBytes ? raw[..MaxRawBytes] : raw),
        };
        if (kind == FpmLogKind.ChildKilled)
        {
            fpm.Signal = line.Code;
            fpm.SignalName = Encoding.UTF8.GetString(line.SignalName);
        }
        else if (kind == FpmLogKind.ChildFailed)
        {
            fpm.ExitCode = line.Code;
        }

        return new Event { Time = Timestamp.FromDateTime(at), FpmLog = fpm };
    }

    private static DateTime? ToUtc(DateTime? local)
    {
        if (local is not { } t)
        {
            return null;
        }

        // php-fpm logs host local time without a zone; a time inside a DST gap cannot be converted.
        var zone = TimeZoneInfo.Local;
        return zone.IsInvalidTime(t) ? DateTime.SpecifyKind(t - zone.BaseUtcOffset, DateTimeKind.Utc) : TimeZoneInfo.ConvertTimeToUtc(t, zone);
    }

    private readonly record struct GroupKey(ulong Device, ulong Inode, FpmLogKind Kind, string Pool, int Code);

    /// <summary>One key's lines in one second of the log after the first (which left at once).</summary>
    private sealed class Group(DateTime second)
    {
        public DateTime Second { get; } = second;
        public uint Count { get; set; }
        public DateTime Last { get; set; }
        public long LastArrival { get; set; }
        public Event? Event { get; set; }
        public LineOrigin First { get; private set; }

        public void Open(Event evt, in LineOrigin first)
        {
            Event = evt;
            First = first;
            Count = 1;
        }
    }
}
