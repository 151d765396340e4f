using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Transforms;

namespace Gateway.Proxy;

/// <summary>
/// A response transform on every route: notes the destination's X-Queue-Depth (and keeps it from the client unless
/// the cluster passes it on), and when the status is one the
/// retry conditions name and a retry is allowed, holds the answer back (nothing reaches the client) so the
/// forwarding loop can try another destination.
/// </summary>
internal static class RetryResponseTransform
{
    public const string QueueDepthHeader = "X-Queue-Depth";

    public static ValueTask Apply(ResponseTransformContext context)
    {
        var attempt = context.HttpContext.Features.Get<AttemptState>();
        var response = context.ProxyResponse;
        if (attempt is null || response is null)
        {
            return ValueTask.CompletedTask;
        }

        attempt.Deadline?.FirstByte(); // the per-try timeout is met

        // NonValidated: no parsing and no allocation for a header read on every response.
        attempt.ReportedQueueDepth = response.Headers.NonValidated.TryGetValues(QueueDepthHeader, out var values)
            && values.Count > 0
            && int.TryParse(values.ToString(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var depth)
            ? depth
            : -1;
        if (attempt.ReportedQueueDepth >= 0 && !attempt.PassQueueDepthHeader)
        {
            context.HttpContext.Response.Headers.Remove(QueueDepthHeader); // the gateway's signal, not the client's
        }

        var status = (int)response.StatusCode;
        var condition = AttemptState.StatusCondition(status);
        if (condition.Length > 0 && !context.HttpContext.Response.HasStarted && attempt.MayRetry(condition, sent: true))
        {
            attempt.HeldBackStatus = status;
            context.SuppressResponseBody = true;
            context.HttpContext.Response.Clear();
        }

        return ValueTask.CompletedTask;
    }
}
