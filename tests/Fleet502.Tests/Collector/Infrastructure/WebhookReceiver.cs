using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Fleet502.Tests.Collector.Infrastructure;

/// <summary>A real HTTP server on loopback that records every POST and answers from a script.</summary>
internal sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ReceivedPost> _posts = new();
    private readonly ConcurrentQueue<(int Status, string? RetryAfter)> _script = new();

    private WebhookReceiver(WebApplication app) => _app = app;

    /// <summary>Every POST, accepted or not, in arrival order.</summary>
    public IReadOnlyList<ReceivedPost> Posts => [.. _posts];

    public IEnumerable<ReceivedPost> Accepted => Posts.Where(p => p.Status == StatusCodes.Status200OK);

    public Uri BaseUri { get; private set; } = null!;

    public static async Task<WebhookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseSetting("urls", "http://127.0.0.1:0");
        var app = builder.Build();
        var receiver = new WebhookReceiver(app);
        app.MapPost("/{**path}", async (HttpContext context) =>
        {
            using var reader = new StreamReader(context.Request.Body);
            var body = await reader.ReadToEndAsync();
            var (status, retryAfter) = receiver._script.TryDequeue(out var next) ? next : (StatusCodes.Status200OK, null);
            receiver._posts.Enqueue(new ReceivedPost(context.Request.Path, context.Request.ContentType, body, status));
            if (retryAfter is not null)
            {
                context.Response.Headers.RetryAfter = retryAfter;
            }

            return Results.StatusCode(status);
        });
        await app.StartAsync();
        receiver.BaseUri = new Uri(app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First());
        return receiver;
    }

    /// <summary>The next POSTs get these answers, then 200.</summary>
    public void AnswerNext(int status, string? retryAfter = null) => _script.Enqueue((status, retryAfter));

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

internal sealed record ReceivedPost(string Path, string? ContentType, string Body, int Status);
