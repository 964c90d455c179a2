using System.Net.Http.Headers;
using System.Text;

namespace Fleet502.Agent.Sources.Supervisors.Supervisord;

/// <summary>supervisord's XML-RPC interface (<c>/RPC2</c>) over its unix socket (or http://host:port).</summary>
public sealed class SupervisordClient(HttpClient http, string? username = null, string? password = null) : IDisposable
{
    public async Task<object?> CallAsync(string method, CancellationToken cancellationToken, params object[] parameters)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "RPC2")
        {
            Content = new StringContent(XmlRpc.Request(method, parameters), Encoding.UTF8, "text/xml"),
        };
        if (!string.IsNullOrEmpty(username))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{username}:{password}")));
        }

        using var response = await http.SendAsync(request, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"supervisord answered {(int)response.StatusCode} {response.ReasonPhrase}", null, response.StatusCode);
        }

        return XmlRpc.ParseResponse(body);
    }

    public void Dispose() => http.Dispose();
}
