using Yarp.ReverseProxy.Transforms;
using Yarp.ReverseProxy.Transforms.Builder;

namespace Gateway.Hardening;

/// <summary>
/// YARP's default X-Forwarded-* transforms, with X-Forwarded-For made trust-aware: from a trusted proxy the header it
/// sent is kept and the proxy's own address appended (the chain stays whole, as Envoy and nginx's
/// <c>$proxy_add_x_forwarded_for</c> keep it); from anyone else it is replaced by the peer's address (YARP's default),
/// so a client cannot plant addresses a backend might believe. Routes with their own X-Forwarded transforms, and
/// nginx.conf locations (which set their headers as nginx does), are left as they are.
/// </summary>
internal sealed class ForwardedForTransformProvider : ITransformProvider
{
    public const string HeaderName = "X-Forwarded-For";

    public void ValidateRoute(TransformRouteValidationContext context)
    {
    }

    public void ValidateCluster(TransformClusterValidationContext context)
    {
    }

    public void Apply(TransformBuilderContext context)
    {
        if (context.UseDefaultForwarders == false || context.RequestTransforms.Any(t => t is RequestHeaderXForwardedForTransform))
        {
            return;
        }

        context.UseDefaultForwarders = false;
        context.AddXForwarded(ForwardedTransformActions.Set);
        context.RequestTransforms.Remove(context.RequestTransforms.OfType<RequestHeaderXForwardedForTransform>().Single());
        context.AddRequestTransform(Apply);
    }

    private static ValueTask Apply(RequestTransformContext context)
    {
        _ = RequestTransform.TakeHeader(context, HeaderName); // what the client sent is not passed on as is
        if (Value(context.HttpContext) is { } value)
        {
            RequestTransform.AddHeader(context, HeaderName, value);
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>The X-Forwarded-For this hop sends: a trusted proxy's chain with its address appended, else the peer's address.</summary>
    internal static string? Value(Microsoft.AspNetCore.Http.HttpContext context) =>
        Proxy.RareFeature<ForwardedChain>.Get(context) is { } chain
            ? $"{chain.ForwardedFor}, {chain.Peer}"
            : context.Connection.RemoteIpAddress?.ToString();
}
