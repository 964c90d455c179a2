namespace Fleet502.Agent.Configuration;

/// <summary>pm2 apps, read with <c>pm2 jlist</c> (a node process per call, hence its own, longer interval).</summary>
public sealed class Pm2Options
{
    /// <summary>Ask pm2 when its home (PM2_HOME) exists. Default true.</summary>
    public bool Enabled { get; set; } = true;

    public string Pm2Path { get; set; } = "pm2";

    /// <summary>PM2_HOME of the user running the apps. Default <c>/root/.pm2</c>.</summary>
    public string Pm2Home { get; set; } = "/root/.pm2";

    /// <summary>How often <c>pm2 jlist</c> runs. Default 10 s.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(10);
}
