using Fleet502.Collector.Auth;
using Microsoft.Extensions.Options;

namespace Fleet502.Collector.Api;

/// <summary>Lets a request through only with <c>Authorization: Bearer &lt;one of Auth:ApiTokens&gt;</c>.</summary>
internal sealed class ApiTokenFilter(IOptions<AuthOptions> options) : IEndpointFilter
{
    private readonly TokenSet _tokens = new(options.Value.ApiTokens);

    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        if (_tokens.IsAuthorized(context.HttpContext.Request.Headers.Authorization.ToString()))
        {
            return next(context);
        }

        context.HttpContext.Response.Headers.WWWAuthenticate = "Bearer";
        return ValueTask.FromResult<object?>(TypedResults.Problem(
            statusCode: StatusCodes.Status401Unauthorized,
            title: "missing or unknown API token",
            detail: "send Authorization: Bearer <token> with one of the collector's Auth:ApiTokens"));
    }
}
