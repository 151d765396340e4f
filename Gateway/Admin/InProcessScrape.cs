using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Admin;

/// <summary>
/// Runs the admin app's own GET /metrics endpoint in process (no socket, whatever address the admin port binds),
/// so the status page reads the same histogram Prometheus scrapes.
/// </summary>
internal sealed class InProcessScrape(IServiceProvider adminServices, string path = "/metrics")
{
    private RequestDelegate? _endpoint;

    public async Task<string> GetAsync(CancellationToken cancellationToken)
    {
        _endpoint ??= adminServices.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .FirstOrDefault(e => e.RoutePattern.RawText == path)?.RequestDelegate
            ?? throw new InvalidOperationException($"the admin app maps no {path}");
        await using var scope = adminServices.CreateAsyncScope();
        using var body = new MemoryStream();
        var context = new DefaultHttpContext { RequestServices = scope.ServiceProvider, RequestAborted = cancellationToken };
        context.Request.Method = HttpMethods.Get;
        context.Request.Path = path;
        context.Response.Body = body;
        await _endpoint(context);
        return Encoding.UTF8.GetString(body.GetBuffer(), 0, (int)body.Length);
    }
}
