namespace Fleet502.Collector.Notifiers;

/// <summary>One entry of the <c>Webhooks</c> array. The URL is a secret: it is never logged nor served.</summary>
internal sealed class WebhookOptions
{
    /// <summary>Short name used in logs and metrics, e.g. <c>ops</c>.</summary>
    public string Name { get; set; } = "";

    public string Url { get; set; } = "";

    /// <summary>Body format: generic, slack, mattermost, discord, teams (Workflows) or google_chat.</summary>
    public string Format { get; set; } = "generic";
}
