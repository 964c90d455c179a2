using System.Buffers.Binary;
using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Fleet502.Agent.Sources.PhpFpm;

/// <summary>
/// A minimal FastCGI responder client (one request per connection), enough to ask php-fpm for its
/// status page without nginx in the way, and for tests to drive load.
/// </summary>
public static class FastCgiClient
{
    private const byte Version = 1;
    private const byte BeginRequest = 1;
    private const byte EndRequest = 3;
    private const byte Params = 4;
    private const byte Stdin = 5;
    private const byte Stdout = 6;
    private const byte Stderr = 7;
    private const ushort RequestId = 1;

    /// <summary>GET <paramref name="scriptName"/>?<paramref name="query"/> as nginx's fastcgi_params would send it.</summary>
    public static async Task<FastCgiResponse> GetAsync(FastCgiEndpoint endpoint, string scriptName, string query, string scriptFilename,
        TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timer.CancelAfter(timeout);
        var token = timer.Token;
        using var socket = endpoint.EndPoint is UnixDomainSocketEndPoint
            ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            : new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(endpoint.EndPoint, token);
            await using var stream = new NetworkStream(socket, ownsSocket: false);
            var request = new MemoryStream();
            Record(request, BeginRequest, [0, 1, 0, 0, 0, 0, 0, 0]); // role RESPONDER, no keep-conn
            var parameters = new Dictionary<string, string>
            {
                ["GATEWAY_INTERFACE"] = "CGI/1.1",
                ["SERVER_PROTOCOL"] = "HTTP/1.1",
                ["REQUEST_METHOD"] = "GET",
                ["SCRIPT_NAME"] = scriptName,
                ["SCRIPT_FILENAME"] = scriptFilename,
                ["REQUEST_URI"] = query.Length > 0 ? scriptName + "?" + query : scriptName,
                ["DOCUMENT_URI"] = scriptName,
                ["QUERY_STRING"] = query,
                ["SERVER_SOFTWARE"] = "fleet502-agent",
                ["REMOTE_ADDR"] = "127.0.0.1",
                ["SERVER_NAME"] = "localhost",
                ["SERVER_PORT"] = "80",
                ["CONTENT_LENGTH"] = "0",
            };
            Record(request, Params, EncodePairs(parameters));
            Record(request, Params, []);
            Record(request, Stdin, []);
            await stream.WriteAsync(request.ToArray(), token);
            return await ReadResponseAsync(stream, token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"{endpoint}: no FastCGI answer within {timeout.TotalSeconds:0.#} s (pool saturated?)");
        }
    }

    private static async Task<FastCgiResponse> ReadResponseAsync(Stream stream, CancellationToken token)
    {
        var stdout = new MemoryStream();
        var stderr = new MemoryStream();
        var header = new byte[8];
        while (true)
        {
            await stream.ReadExactlyAsync(header, token);
            var type = header[1];
            var length = BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(4));
            var content = new byte[length + header[6]];
            await stream.ReadExactlyAsync(content, token);
            switch (type)
            {
                case Stdout:
                    stdout.Write(content, 0, length);
                    break;
                case Stderr:
                    stderr.Write(content, 0, length);
                    break;
                case EndRequest:
                    return Split(stdout.ToArray(), Encoding.UTF8.GetString(stderr.ToArray()));
            }
        }
    }

    // CGI output: "Header: value\r\n...\r\n\r\nbody"; "Status: 404 Not Found" sets the status.
    private static FastCgiResponse Split(byte[] output, string stderr)
    {
        var end = output.AsSpan().IndexOf("\r\n\r\n"u8);
        var headerText = Encoding.ASCII.GetString(output, 0, end < 0 ? 0 : end);
        var body = end < 0 ? output : output[(end + 4)..];
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in headerText.Split("\r\n", StringSplitOptions.RemoveEmptyEntries))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
            }
        }

        var status = headers.TryGetValue("Status", out var s) && int.TryParse(s.AsSpan(0, Math.Min(3, s.Length)), NumberStyles.None, CultureInfo.InvariantCulture, out var code) ? code : 200;
        return new FastCgiResponse(status, headers, body, stderr);
    }

    private static void Record(Stream into, byte type, byte[] content)
    {
        // Records carry at most 65535 bytes; params here are far smaller, but split anyway.
        var offset = 0;
        do
        {
            var chunk = Math.Min(65535, content.Length - offset);
            Span<byte> header = [Version, type, 0, 0, 0, 0, 0, 0];
            BinaryPrimitives.WriteUInt16BigEndian(header[2..], RequestId);
            BinaryPrimitives.WriteUInt16BigEndian(header[4..], (ushort)chunk);
            into.Write(header);
            into.Write(content, offset, chunk);
            offset += chunk;
        }
        while (offset < content.Length);
    }

    private static byte[] EncodePairs(Dictionary<string, string> pairs)
    {
        var buffer = new MemoryStream();
        foreach (var (name, value) in pairs)
        {
            var n = Encoding.UTF8.GetBytes(name);
            var v = Encoding.UTF8.GetBytes(value);
            Length(buffer, n.Length);
            Length(buffer, v.Length);
            buffer.Write(n);
            buffer.Write(v);
        }

        return buffer.ToArray();
    }

    private static void Length(Stream into, int length)
    {
        if (length < 128)
        {
            into.WriteByte((byte)length);
            return;
        }

        Span<byte> four = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(four, (uint)length | 0x80000000u);
        into.Write(four);
    }
}
