using Grpc.Core;
using Microsoft.AspNetCore.Http;
using ModelWorker.Batching;
using ModelWorker.Models;

namespace ModelWorker.KServe;

/// <summary>
/// An Open Inference Protocol error: the HTTP status with its <c>{"error": "..."}</c> body, and the gRPC status code
/// the same failure gets (the mapping of the gRPC spec's HTTP-to-status table, read backwards).
/// </summary>
public sealed record KServeError(int HttpStatus, StatusCode GrpcCode, string Message)
{
    public static KServeError BadRequest(string message) => new(StatusCodes.Status400BadRequest, StatusCode.InvalidArgument, message);

    public static KServeError From(ModelLease lease) => lease.Status switch
    {
        ModelAcquireStatus.NotFound => new(StatusCodes.Status404NotFound, StatusCode.NotFound, lease.Error!),
        ModelAcquireStatus.LoadFailed => new(StatusCodes.Status500InternalServerError, StatusCode.Internal, lease.Error!),
        _ => new(StatusCodes.Status503ServiceUnavailable, StatusCode.Unavailable, lease.Error!),
    };

    public static KServeError From(BatchResult result, int queueDepth) => result.Status switch
    {
        BatchStatus.QueueFull => new(StatusCodes.Status503ServiceUnavailable, StatusCode.Unavailable,
            $"the worker's queue is full ({queueDepth} requests waiting); retry later or add workers"),
        BatchStatus.ShuttingDown => new(StatusCodes.Status503ServiceUnavailable, StatusCode.Unavailable,
            "the worker is draining for shutdown; send the request to another worker"),
        BatchStatus.TimedOut => new(StatusCodes.Status504GatewayTimeout, StatusCode.DeadlineExceeded,
            "the request waited in the queue past the worker's --request-timeout-ms and was not run"),
        BatchStatus.Cancelled => new(StatusCodes.Status503ServiceUnavailable, StatusCode.Cancelled, "the request was cancelled"),
        _ => new(StatusCodes.Status500InternalServerError, StatusCode.Internal,
            $"the model failed on this request's batch ({result.Error?.Message}); the worker keeps serving, retry"),
    };
}
