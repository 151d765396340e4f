using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Gateway.Proxy;

/// <summary>
/// A gRPC call ends in HTTP 200 whatever happened; its outcome is the <c>grpc-status</c> in the trailers (or in the
/// headers of a trailers-only answer). Breakers, the latency model and the per-status metrics would count every
/// failed call as a success, so a gRPC answer's status is read as the HTTP status its grpc-status stands for, with
/// Envoy's table (<c>Grpc::Utility::grpcToHttpStatus</c>, which its outlier detection uses the same way): UNAVAILABLE
/// 503, DEADLINE_EXCEEDED 504, INTERNAL / UNKNOWN / DATA_LOSS 500 and UNIMPLEMENTED 501 count against the destination;
/// INVALID_ARGUMENT 400, NOT_FOUND 404, RESOURCE_EXHAUSTED 429 and the other client-side codes do not, like 4xx.
/// The client still gets the worker's own answer and trailers unchanged.
/// </summary>
internal static class GrpcStatusMapping
{
    public const string StatusHeader = "grpc-status";

    public static int EffectiveStatus(HttpContext context, int status)
    {
        if (status != StatusCodes.Status200OK || context.Response.ContentType is not { } type
            || !type.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase))
        {
            return status;
        }

        var value = context.Response.Headers[StatusHeader];
        if (value.Count == 0 && context.Features.Get<IHttpResponseTrailersFeature>()?.Trailers is { } trailers)
        {
            value = trailers[StatusHeader];
        }

        return int.TryParse(value.ToString(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var code)
            ? ToHttp(code)
            : status; // no status yet (a stream cut short shows as a transport error) or not a number: leave it
    }

    public static int ToHttp(int grpcStatus) => grpcStatus switch
    {
        0 => 200, // OK
        1 => 499, // CANCELLED: the client's doing
        3 or 9 or 11 => 400, // INVALID_ARGUMENT, FAILED_PRECONDITION, OUT_OF_RANGE
        4 => 504, // DEADLINE_EXCEEDED
        5 => 404, // NOT_FOUND
        6 or 10 => 409, // ALREADY_EXISTS, ABORTED
        7 => 403, // PERMISSION_DENIED
        8 => 429, // RESOURCE_EXHAUSTED
        12 => 501, // UNIMPLEMENTED
        14 => 503, // UNAVAILABLE
        16 => 401, // UNAUTHENTICATED
        _ => 500, // UNKNOWN, INTERNAL, DATA_LOSS and codes this table does not know
    };
}
