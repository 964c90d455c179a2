using System.Text.RegularExpressions;
using Fleet502.Collector.Hosting;
using Fleet502.Collector.Notifiers.Formats;

namespace Fleet502.Collector.Notifiers;

/// <summary>The top-level <c>Webhooks</c> array of the config.</summary>
internal sealed partial class WebhooksOptions : IValidatableOptions
{
    public const string Section = "Webhooks";

    public List<WebhookOptions> Webhooks { get; set; } = [];

    public IEnumerable<string> Validate()
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < Webhooks.Count; i++)
        {
            var webhook = Webhooks[i];
            var key = $"Webhooks:{i}";
            if (!NamePattern().IsMatch(webhook.Name ?? ""))
            {
                yield return $"{key}:Name '{webhook.Name}' must be 1-64 letters, digits, '-' or '_'";
            }
            else if (!names.Add(webhook.Name!))
            {
                yield return $"{key}:Name '{webhook.Name}' is used twice";
            }

            // Say what is wrong with the URL without repeating it: it is a secret.
            if (!Uri.TryCreate(webhook.Url, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttps && url.Scheme != Uri.UriSchemeHttp))
            {
                yield return $"{key}:Url (webhook '{webhook.Name}') is not an absolute http(s) URL";
            }

            if (!WebhookFormats.ByName.ContainsKey(webhook.Format ?? ""))
            {
                yield return $"{key}:Format '{webhook.Format}' is not supported; use one of: {string.Join(", ", WebhookFormats.Names)}";
            }
        }
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex NamePattern();
}
