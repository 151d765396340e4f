using System.Diagnostics;
using Yarp.ReverseProxy.Transforms;
using Yarp.ReverseProxy.Transforms.Builder;

namespace Gateway.Tracing;

/// <summary>
/// With tracing on, every proxied request carries the try span's W3C context: traceparent (and tracestate) replace
/// whatever the client sent, so the destination's span is a child of its try. Set here rather than by
/// SocketsHttpHandler, whose propagation would put an unexported HttpRequestOut activity between the try and the
/// destination (the client factory turns that propagation off while tracing is on). Registered only when tracing is on.
/// </summary>
internal sealed class TraceContextTransformProvider(GatewayTracing tracing) : ITransformProvider
{
    public void ValidateRoute(TransformRouteValidationContext context)
    {
    }

    public void ValidateCluster(TransformClusterValidationContext context)
    {
    }

    public void Apply(TransformBuilderContext context) => context.AddRequestTransform(transform =>
    {
        var headers = transform.ProxyRequest.Headers;
        headers.Remove("traceparent");
        headers.Remove("tracestate");
        if (Activity.Current is { } span && tracing.Owns(span))
        {
            headers.TryAddWithoutValidation("traceparent", span.Id);
            if (span.TraceStateString is { Length: > 0 } state)
            {
                headers.TryAddWithoutValidation("tracestate", state);
            }
        }

        return ValueTask.CompletedTask;
    });
}
