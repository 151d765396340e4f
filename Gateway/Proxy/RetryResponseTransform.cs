using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
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
        if (context.ProxyResponse is not { } response)
        {
            return ValueTask.CompletedTask;
        }

        // NonValidated: no parsing and no allocation for a header read on every response.
        var depth = response.Headers.NonValidated.TryGetValues(QueueDepthHeader, out var values) && values.Count > 0
            ? QueueDepth(values.ToString())
            : -1;
        if (Received(context.HttpContext, (int)response.StatusCode, depth))
        {
            context.SuppressResponseBody = true;
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>The X-Queue-Depth a destination reported (its values joined): -1 when it is not one number.</summary>
    public static int QueueDepth(string value) =>
        int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var depth) ? depth : -1;

    /// <summary>
    /// A try's answer arrived with <paramref name="status"/> (its headers already on the client's response): the per-try
    /// deadline is met, the queue depth noted, and true when the answer is held back for a retry (the response cleared).
    /// The lean forwarder calls this itself; through YARP's forwarder <see cref="Apply"/> does.
    /// </summary>
    public static bool Received(HttpContext context, int status, int queueDepth)
    {
        if (context.Features.Get<IHttpRequestLifetimeFeature>() is not RequestDeadline { Attempt: { } attempt })
        {
            return false;
        }

        attempt.Deadline?.FirstByte(); // the per-try timeout is met
        attempt.ReportedQueueDepth = queueDepth;
        if (queueDepth >= 0 && !attempt.PassQueueDepthHeader)
        {
            context.Response.Headers.Remove(QueueDepthHeader); // the gateway's signal, not the client's
        }

        var condition = AttemptState.StatusCondition(status);
        if (condition.Length > 0 && !context.Response.HasStarted && attempt.MayRetry(condition, sent: true))
        {
            attempt.HeldBackStatus = status;
            context.Response.Clear();
            return true;
        }

        return false;
    }
}
