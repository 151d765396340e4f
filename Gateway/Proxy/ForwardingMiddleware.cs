using System.Net.Http;
using Gateway.Admin;
using Gateway.Config;
using Gateway.Health;
using Gateway.LoadBalancing;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Polly;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace Gateway.Proxy;

/// <summary>
/// Sits after load balancing in YARP's proxy pipeline and runs the request's tries: each through the
/// destination's circuit breaker, each kept in the destination's statistics record and the metrics; a try
/// that failed in a way the retry conditions name goes to another destination (nginx proxy_next_upstream:
/// never the same one twice, at most MaxTries, within the total timeout, non-idempotent methods only when
/// the route allows it or the request was never sent, within the cluster's retry budget). A response whose
/// first byte reached the client is never retried. When no try produced a response the client gets a
/// problem+json: 503 (nothing could take it), 502 (connection failed), or 504 (timeout).
/// A try that failed without an answer (refused, reset, timed out) is logged here, one line naming the destination,
/// the cause and whether the request went elsewhere, as nginx's error log does; YARP's own log of it (a warning with
/// the whole stack trace, per try) is filtered out in GatewayHost.
/// </summary>
internal sealed partial class ForwardingMiddleware(RequestDelegate next, DestinationStatsRegistry registry, CircuitBreakers breakers,
    ResilienceSettings settings, PolicyLookup policies, RetryBudgets budgets, GatewayMetrics metrics, TimeProvider time,
    ILogger<ForwardingMiddleware> logger, Tracing.GatewayTracing tracing, IHttpForwarder forwarder)
{
    public const string RetryNonIdempotentMetadataKey = "RetryNonIdempotent";

    /// <summary>Route metadata: this route's own deadline in seconds (overrides Timeouts.RouteSeconds; 0 = none).</summary>
    public const string RouteTimeoutMetadataKey = "TimeoutSeconds";

    private readonly RequestDelegate _next = next;

    public async Task InvokeAsync(HttpContext context)
    {
        var proxy = context.GetReverseProxyFeature();
        var cluster = proxy.Route.Cluster!;
        var clusterId = cluster.ClusterId;
        if (HttpMethods.IsConnect(context.Request.Method))
        {
            // A tunnel request is the client asking the gateway to be an open proxy; nginx answers 405 too. Never a try:
            // the forwarder cannot send it, and its failure must not be counted against the destination.
            await Problems.WriteAsync(context, StatusCodes.Status405MethodNotAllowed, "Method not allowed",
                "CONNECT is not proxied: the gateway is a reverse proxy, not a tunnel. Send the request itself (GET, POST, ...) to this address.",
                clusterId, retryAfterSeconds: null, allow: "GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS");
            return;
        }

        var options = settings.For(cluster);
        using var requestSpan = tracing.StartRequest(context, proxy.Route.Config.RouteId, clusterId); // null when tracing is off
        var routeAllows = proxy.Route.Config.Metadata?.TryGetValue(RetryNonIdempotentMetadataKey, out var allow) == true
            && bool.TryParse(allow, out var allowed) && allowed;
        var answer = RareFeature<IUpstreamFailureAnswer>.Get(context); // nginx.conf routes answer failures as nginx
        var arrived = time.GetTimestamp(); // the retry window's, the route deadline's and the first try's start: one reading of the clock
        var attempt = new AttemptState(options.Retry, cluster, routeAllows || AttemptState.IsIdempotent(context.Request.Method),
            arrived, time, context, _next, proxy, policies.ReadsYarpInFlight(cluster.Model.Config.LoadBalancingPolicy) ? null : forwarder)
        { PassQueueDepthHeader = options.PassQueueDepthHeader, RetryWhileTriesLeft = answer is not null };
        var lifetime = context.Features.Get<IHttpRequestLifetimeFeature>()!;
        using var deadline = RequestDeadline.Start(lifetime, time, arrived, RouteTimeout(proxy.Route.Config, options));
        context.Features.Set<IHttpRequestLifetimeFeature>(deadline);
        attempt.Deadline = deadline;
        deadline.Attempt = attempt; // how the response transform finds the tries (one feature set less a request)
        if (context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody == true)
        {
            // Kept for a retry only where one may send it again after it was sent; always watched for delivery.
            var keep = options.Retry.MaxTries > 1 && attempt.MethodRetryable ? options.Retry.BufferBodyLimitBytes : 0;
            var body = new RequestBody(context.Request.Body, context.Request.ContentLength, keep);
            context.Request.Body = body;
            attempt.Body = body;
        }

        var destination = proxy.AvailableDestinations[0];
        var accessLog = RareFeature<AccessLog.AccessLogRecord>.Get(context); // set only for requests an access log records
        ForwardOutcome outcome;
        var holdsBudget = false;
        var noLive = false;
        while (true)
        {
            // One try, awaited here rather than in a helper method: one state machine less per request. What comes
            // before and after the await is synchronous (BeginTry, EndTry).
            attempt.AddTried(destination);
            // The first try starts as the request arrived here (the synchronous set-up above takes no time to speak
            // of), so it needs no clock reading of its own; a retry reads the clock again.
            var (stats, breaker, start) = BeginTry(cluster, destination, attempt.TriedCount == 1 ? arrived : time.GetTimestamp());
            deadline.StartTry(TimeSpan.FromSeconds(options.Retry.TryTimeoutSeconds), start);
            var trySpan = tracing.StartTry(context, cluster, destination, attempt.TriedCount);
            var ran = true;
            try
            {
                if (breaker is null || breaker.IsClosed)
                {
                    // The usual case: the try runs here and a closed circuit is told its outcome afterwards, without the
                    // try running inside Polly's async layers; an open or half-open circuit decides whether it is sent.
                    var sent = await attempt.SendAsync(destination);
                    outcome = Classify(context, attempt, sent);
                    if (breaker is not null)
                    {
                        await breaker.Record(outcome); // completes at once unless the outcome changed the circuit's state
                    }
                }
                else
                {
                    (ran, outcome) = await breaker.ExecuteAsync(s_tryThroughBreaker, attempt);
                }
            }
            catch
            {
                trySpan?.Dispose();
                stats.Abandon();
                attempt.Body?.Finish();
                context.Features.Set(lifetime);
                throw;
            }

            outcome = EndTry(context, cluster, destination, attempt, options, stats, start, ran, outcome);
            if (ran)
            {
                accessLog?.AddTry(stats.Address, outcome.StatusCode, time.GetElapsedTime(start).TotalSeconds);
                answer?.TryEnded(cluster, destination, outcome); // nginx.conf: its max_fails counting, before the next pick
            }
            Tracing.GatewayTracing.EndTry(trySpan, outcome);
            if (holdsBudget)
            {
                budgets.Release(cluster);
                holdsBudget = false;
            }

            var condition = outcome.Kind switch
            {
                ForwardOutcomeKind.RetryableStatus => "held",
                // A malformed response head is nginx's invalid_header: its own condition where the conditions name it or
                // the route is nginx.conf's; otherwise, as before, an error.
                ForwardOutcomeKind.TransportError when (answer is not null || options.Retry.Conditions.Contains("invalid_header"))
                    && IsInvalidResponse(context.GetForwarderErrorFeature()?.Exception) => "invalid_header",
                ForwardOutcomeKind.NotSent or ForwardOutcomeKind.TransportError => "error",
                ForwardOutcomeKind.Timeout => "timeout",
                _ => null,
            };
            if (condition is null || context.Response.HasStarted
                || (condition != "held" && !attempt.MayRetry(condition, sent: outcome.Kind != ForwardOutcomeKind.NotSent)))
            {
                break;
            }

            var nextDestination = PickNext(context, cluster, attempt);
            if (nextDestination is null)
            {
                noLive = answer is not null;
                break;
            }

            // The budget guards destinations against retry storms (Envoy): it limits retries after the signals of
            // an overloaded fleet, an error status or a timeout. A connection-level failure (refused, circuit open,
            // reset before any response) says the destination is gone, not busy; retrying it elsewhere adds at most
            // MaxTries - 1 tries per request. Unlike Envoy it is not budgeted: a killed worker resets every request
            // it held at the same instant, and a budget of 3 concurrent retries would turn that burst into errors.
            if (outcome.Kind is ForwardOutcomeKind.Timeout or ForwardOutcomeKind.RetryableStatus)
            {
                if (!budgets.TryAcquire(cluster, options.Retry))
                {
                    metrics.RecordRejection(clusterId, "retry_budget");
                    break;
                }

                holdsBudget = true;
            }

            metrics.RecordRetry(clusterId, condition == "held" ? AttemptState.StatusCondition(outcome.StatusCode) : condition);
            LogFailedTry(context, outcome, clusterId, destination, attempt, nextDestination);
            ResetForRetry(context, attempt);
            destination = nextDestination;
        }

        LogFailedTry(context, outcome, clusterId, destination, attempt, retriedOn: null); // the last try
        attempt.Body?.Finish();
        context.Features.Set(lifetime); // the answer below belongs to the client's own lifetime, not a spent deadline
        if (answer is not null && !context.Response.HasStarted && (noLive || outcome.Kind is not (ForwardOutcomeKind.Response or ForwardOutcomeKind.ClientCanceled)))
        {
            // nginx: no live destination for a retry is 502 whatever the last try got; a timeout 504; the client's fault 400.
            await answer.AnswerAsync(context, noLive ? StatusCodes.Status502BadGateway : outcome.Kind switch
            {
                ForwardOutcomeKind.Timeout => StatusCodes.Status504GatewayTimeout,
                ForwardOutcomeKind.ClientError => StatusCodes.Status400BadRequest,
                _ => StatusCodes.Status502BadGateway,
            }, noLive);
            return;
        }

        await FinishAsync(context, clusterId, outcome, deadline.Fired);
        Tracing.GatewayTracing.EndRequest(requestSpan, context.Response.StatusCode, attempt.TriedCount);
    }

    /// <summary>The try as Polly runs it: the rest of YARP's pipeline, then what came of it.</summary>
    private static readonly Func<ResilienceContext, AttemptState, ValueTask<Outcome<ForwardOutcome>>> s_tryThroughBreaker = TryThroughBreakerAsync;

    private static async ValueTask<Outcome<ForwardOutcome>> TryThroughBreakerAsync(ResilienceContext _, AttemptState attempt)
    {
        var sent = await attempt.SendAsync(attempt.Current);
        return Outcome.FromResult(Classify(attempt.Context, attempt, sent));
    }

    private (DestinationStats Stats, DestinationCircuitBreaker? Breaker, long Start) BeginTry(ClusterState cluster, DestinationState destination,
        long start)
    {
        var stats = registry.Get(cluster, destination);
        // A destination whose circuit is open is only offered when the cluster is in panic (too few healthy, so
        // YARP's available set is every destination). Panic means "better to try a degraded fleet than to fail";
        // the breaker must not veto that, or every request would fail at once while every circuit is open.
        var panic = destination.Health.Passive == DestinationHealth.Unhealthy
            && cluster.DestinationsState.AvailableDestinations.Contains(destination);
        var breaker = panic ? null : breakers.Get(cluster, destination);
        stats.Begin();
        return (stats, breaker, start);
    }

    private ForwardOutcome EndTry(HttpContext context, ClusterState cluster, DestinationState destination, AttemptState attempt,
        ResilienceOptions options, DestinationStats stats, long start, bool ran, ForwardOutcome outcome)
    {
        if (!ran)
        {
            // Open circuit (or a half-open trial already out): never sent, free to go elsewhere.
            stats.Abandon();
            return new ForwardOutcome(ForwardOutcomeKind.NotSent, StatusCodes.Status503ServiceUnavailable);
        }

        if (outcome.Kind == ForwardOutcomeKind.ClientError)
        {
            // The client's fault (a body it did not deliver, a request that cannot be sent): no sample, no failure.
            stats.Abandon();
            return outcome;
        }

        var elapsed = time.GetElapsedTime(start);
        if (outcome.Kind == ForwardOutcomeKind.ClientCanceled)
        {
            // Once the response has begun the destination has answered; the client leaving during the body (a long
            // stream) says nothing about its latency.
            stats.AbandonAfter(elapsed, responseStarted: context.Response.HasStarted);
            return outcome;
        }

        if (outcome.Kind == ForwardOutcomeKind.Timeout && !context.Response.HasStarted)
        {
            stats.TimedOut(elapsed); // no answer at all: a failure, and like an abandon, it may hold the destination back
        }
        else
        {
            var failed = outcome.StatusCode >= 500 || outcome.IsFailure(options.CircuitBreaker.FailureStatusCodes);
            stats.Complete(elapsed, failed, attempt.ReportedQueueDepth);
        }

        metrics.RecordRequest(cluster.ClusterId, destination.DestinationId, outcome.StatusCode, elapsed.TotalSeconds);
        return outcome;
    }

    /// <summary>The route's deadline: its own <c>Metadata.TimeoutSeconds</c>, else the cluster's Timeouts.RouteSeconds.</summary>
    private static TimeSpan RouteTimeout(Yarp.ReverseProxy.Configuration.RouteConfig route, ResilienceOptions options) =>
        TimeSpan.FromSeconds(route.Metadata?.TryGetValue(RouteTimeoutMetadataKey, out var text) == true
            && double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var seconds)
            ? seconds
            : options.Timeouts.RouteSeconds);

    /// <summary>
    /// What the try came to. <paramref name="sent"/> is the forwarder's own result, the error it also set as the
    /// request's error feature: a try that went well needs no look for that feature.
    /// </summary>
    private static ForwardOutcome Classify(HttpContext context, AttemptState attempt, ForwarderError sent)
    {
        if (sent != ForwarderError.None && attempt.Deadline is { Fired: not DeadlineKind.None })
        {
            // Our deadline stopped the try through the token the forwarder watches: it reads as a cancel, it was a timeout.
            return new ForwardOutcome(ForwardOutcomeKind.Timeout, StatusCodes.Status504GatewayTimeout);
        }

        var outcome = ClassifyError(context, attempt, sent);
        // A client that leaves before it delivered its body (stalled, or cut off mid-upload) may surface as a plain
        // cancel; the time waited was the client's, not the destination's.
        return outcome.Kind == ForwardOutcomeKind.ClientCanceled && attempt.Body is { Delivered: false } && !context.Response.HasStarted
            ? new ForwardOutcome(ForwardOutcomeKind.ClientError, StatusCodes.Status400BadRequest)
            : outcome;
    }

    private static ForwardOutcome ClassifyError(HttpContext context, AttemptState attempt, ForwarderError sent)
    {
        if (attempt.HeldBackStatus != 0)
        {
            var held = attempt.HeldBackStatus;
            attempt.HeldBackStatus = 0;
            return new ForwardOutcome(ForwardOutcomeKind.RetryableStatus, held);
        }

        var status = context.Response.StatusCode;
        var error = sent == ForwarderError.None ? null : context.GetForwarderErrorFeature();
        return error?.Error switch
        {
            // A gRPC answer counts as the HTTP status its grpc-status stands for (GrpcStatusMapping).
            null or ForwarderError.None => new ForwardOutcome(ForwardOutcomeKind.Response, GrpcStatusMapping.EffectiveStatus(context, status)),
            // The client did not deliver its body (it stopped sending, or sent a malformed one), or the request cannot be
            // sent at all (request creation: e.g. a method or header the forwarder refuses): the client's error.
            ForwarderError.RequestBodyClient or ForwarderError.RequestBodyCanceled or ForwarderError.RequestCreation
                => new ForwardOutcome(ForwardOutcomeKind.ClientError, StatusCodes.Status400BadRequest),
            ForwarderError.RequestCanceled
                or ForwarderError.ResponseBodyCanceled or ForwarderError.ResponseBodyClient or ForwarderError.UpgradeRequestCanceled
                or ForwarderError.UpgradeResponseCanceled or ForwarderError.UpgradeRequestClient or ForwarderError.UpgradeResponseClient
                => new ForwardOutcome(ForwardOutcomeKind.ClientCanceled, status),
            ForwarderError.RequestTimedOut => new ForwardOutcome(ForwardOutcomeKind.Timeout, StatusCodes.Status504GatewayTimeout),
            ForwarderError.Request when IsConnectFailure(error.Exception) => new ForwardOutcome(ForwardOutcomeKind.NotSent, StatusCodes.Status502BadGateway),
            _ => new ForwardOutcome(ForwardOutcomeKind.TransportError, StatusCodes.Status502BadGateway),
        };
    }

    /// <summary>
    /// One line when the try got no answer (not a status, not the client leaving; an open circuit leaves no forwarder
    /// error, so it is not logged either), saying where the request went next.
    /// </summary>
    private void LogFailedTry(HttpContext context, ForwardOutcome outcome, string clusterId, DestinationState destination, AttemptState attempt,
        DestinationState? retriedOn)
    {
        if (outcome.Kind is not (ForwardOutcomeKind.NotSent or ForwardOutcomeKind.TransportError or ForwardOutcomeKind.Timeout)
            || context.GetForwarderErrorFeature() is not { } failure)
        {
            return;
        }

        if (RareFeature<IUpstreamFailureAnswer>.Get(context) is { } answer)
        {
            answer.TryFailed(destination, outcome.StatusCode, failure.Exception?.GetBaseException().Message ?? failure.Error.ToString());
        }

        if (!logger.IsEnabled(LogLevel.Warning))
        {
            return;
        }

        // The try timeout is YARP's activity timeout, which Retry:TryTimeoutSeconds sets unless the cluster's own
        // HttpRequest:ActivityTimeout does.
        var cause = attempt.Deadline?.Fired switch
        {
            DeadlineKind.Try => $"no response within {attempt.Options.TryTimeoutSeconds} s (Retry:TryTimeoutSeconds)",
            DeadlineKind.Route => "the route's deadline passed (Timeouts:RouteSeconds)",
            _ when failure.Error == ForwarderError.RequestTimedOut =>
                $"nothing received for {attempt.Cluster.Model.Config.HttpRequest?.ActivityTimeout?.TotalSeconds} s (Timeouts:IdleSeconds)",
            _ => failure.Exception?.GetBaseException().Message ?? failure.Error.ToString(),
        };
        var error = attempt.Deadline?.Fired is DeadlineKind.Try or DeadlineKind.Route ? ForwarderError.RequestTimedOut : failure.Error;
        var next = retriedOn is null ? "not retried" : $"retried on {retriedOn.DestinationId}";
        LogTryFailed(logger, clusterId, attempt.TriedCount, destination.DestinationId, destination.Model.Config.Address, error, cause, next);
    }

    [LoggerMessage(EventId = 200, Level = LogLevel.Warning,
        Message = "Cluster {Cluster}: try {Try} to {Destination} ({Address}) failed, {Error}: {Cause}; {Next}.")]
    private static partial void LogTryFailed(ILogger logger, string cluster, int @try, string destination, string address, ForwarderError error,
        string cause, string next);

    private static bool IsInvalidResponse(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is HttpRequestException { HttpRequestError: HttpRequestError.InvalidResponse or HttpRequestError.ConfigurationLimitExceeded })
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsConnectFailure(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError })
            {
                return true;
            }
        }

        return false;
    }

    private DestinationState? PickNext(HttpContext context, ClusterState cluster, AttemptState attempt)
    {
        var untried = attempt.Untried();
        var lease = context.Features.Get<CapLease>();
        if (lease is not null)
        {
            // Under a per-destination cap a retry goes only where there is room, and takes its place there.
            for (var i = untried.Count - 1; i >= 0; i--)
            {
                var stats = registry.Get(cluster, untried[i]);
                if (stats.CapSlots >= stats.CapOr(lease.Cap))
                {
                    untried.RemoveAt(i);
                }
            }
        }

        var next = untried.Count <= 1
            ? untried.Count == 0 ? null : untried[0]
            : policies.Find(cluster.Model.Config.LoadBalancingPolicy)?.PickDestination(context, cluster, untried) ?? untried[0];
        return next is null || lease is null || lease.TryMoveTo(registry.Get(cluster, next)) ? next : null;
    }

    private static void ResetForRetry(HttpContext context, AttemptState attempt)
    {
        context.Features.Set<IForwarderErrorFeature>(null);
        // The request's BodyReader is a pipe over the body stream, made once and completed by the last try: a fresh
        // one reads the rewound body.
        context.Features.Set<IRequestBodyPipeFeature>(null);
        context.Response.Clear();
        attempt.Body?.Rewind(); // MayRetry checked that it can
    }

    private static Task FinishAsync(HttpContext context, string clusterId, ForwardOutcome outcome, DeadlineKind fired) => outcome.Kind switch
    {
        _ when context.Response.HasStarted => Task.CompletedTask,
        ForwardOutcomeKind.RetryableStatus => Problems.WriteAsync(context, outcome.StatusCode, "Every destination tried failed",
            $"the last destination answered {outcome.StatusCode} and no other destination was left to try.", clusterId),
        ForwardOutcomeKind.NotSent => Problems.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "No destination could take the request",
            "every destination tried refused the connection or has its circuit open; retry shortly.", clusterId),
        ForwardOutcomeKind.TransportError => Problems.WriteAsync(context, StatusCodes.Status502BadGateway, "Destination connection failed",
            "the connection to the destination failed before a response and the request could not be retried elsewhere.", clusterId),
        ForwardOutcomeKind.ClientError => Problems.WriteAsync(context, Hardening.ClientErrorStatus.From(context.GetForwarderErrorFeature()?.Exception), "Request could not be forwarded",
            $"the request could not be sent on as it came ({context.GetForwarderErrorFeature()?.Exception?.GetBaseException().Message ?? "its body was incomplete"}); fix the request and send it again.",
            clusterId, retryAfterSeconds: null),
        ForwardOutcomeKind.Timeout => Problems.WriteAsync(context, StatusCodes.Status504GatewayTimeout, "Destination timed out",
            fired == DeadlineKind.Route
                ? "the route's deadline (LbProxy Timeouts.RouteSeconds, or the route's Metadata.TimeoutSeconds) passed before the response was complete."
                : fired == DeadlineKind.Try
                    ? "no response within the try timeout (LbProxy Retry.TryTimeoutSeconds) and no retry was allowed."
                    : "the destination went silent for longer than the idle timeout (LbProxy Timeouts.IdleSeconds) and no retry was allowed.",
            clusterId),
        _ => Task.CompletedTask,
    };
}
