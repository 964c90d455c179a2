using Fleet502.Protos.V1;

namespace Fleet502.Agent.Sources.NginxConfig;

/// <summary>One level of the config (http, server, location): what it sets, with a link to the level around it.</summary>
internal sealed class Scope
{
    private readonly Scope? _parent;
    private List<LogFile>? _accessLogs;
    private bool _accessLogsSet;

    public Scope(Scope? parent = null, string location = "", bool inStream = false)
    {
        _parent = parent;
        Location = location;
        InStream = inStream;
    }

    public Dictionary<string, string> Settings { get; } = new(StringComparer.Ordinal);
    public List<string> ServerNames { get; } = [];
    public List<string> Listen { get; } = [];
    public string Location { get; }
    public bool InStream { get; }

    public Scope Child(bool enteringStream = false) => new(this, Location, InStream || enteringStream);

    public Scope WithLocation(string location) => new(this, "location " + location, InStream);

    /// <summary>An access_log at this level replaces the inherited ones; "off" (null) clears them.</summary>
    public void SetAccessLog(LogFile? log)
    {
        _accessLogs ??= [];
        _accessLogsSet = true;
        if (log is not null)
        {
            _accessLogs.Add(log);
        }
    }

    public IEnumerable<LogFile> EffectiveAccessLogs()
    {
        for (var s = this; s is not null; s = s._parent)
        {
            if (s._accessLogsSet)
            {
                return s._accessLogs!;
            }
        }

        return [];
    }

    public IEnumerable<string> AllServerNames()
    {
        for (var s = this; s is not null; s = s._parent)
        {
            if (s.ServerNames.Count > 0)
            {
                return s.ServerNames;
            }
        }

        return [];
    }

    public IEnumerable<string> AllListen()
    {
        for (var s = this; s is not null; s = s._parent)
        {
            if (s.Listen.Count > 0)
            {
                return s.Listen;
            }
        }

        return [];
    }

    /// <summary>Settings in effect here: the innermost level that sets a directive wins.</summary>
    public IEnumerable<(string Name, string Value)> AllSettings()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var s = this; s is not null; s = s._parent)
        {
            foreach (var (name, value) in s.Settings)
            {
                if (seen.Add(name))
                {
                    yield return (name, value);
                }
            }
        }
    }
}
