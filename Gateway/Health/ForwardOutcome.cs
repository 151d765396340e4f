namespace Gateway.Health;

/// <summary>What one try at a destination came to, as the circuit breaker and the retry logic see it.</summary>
public enum ForwardOutcomeKind
{
    /// <summary>A response went (or is going) to the client; it may still be an error status the client sees.</summary>
    Response,

    /// <summary>The destination answered with a status the retry conditions name; nothing reached the client.</summary>
    RetryableStatus,

    /// <summary>Could not connect: the request never reached the destination.</summary>
    NotSent,

    /// <summary>Sent, but the connection failed before a response.</summary>
    TransportError,

    /// <summary>No response within the try timeout.</summary>
    Timeout,

    /// <summary>The client went away: says nothing about the destination.</summary>
    ClientCanceled,

    /// <summary>
    /// The client's request could not be forwarded as sent (a method the forwarder cannot send, a request body the
    /// client failed to deliver): the client's fault, never counted against the destination.
    /// </summary>
    ClientError,
}

/// <summary>The outcome of one try: its kind and the status code involved.</summary>
public readonly record struct ForwardOutcome(ForwardOutcomeKind Kind, int StatusCode)
{
    /// <summary>Whether the try counts against the destination (circuit breaker, latency penalty).</summary>
    public bool IsFailure(IReadOnlyList<int> failureStatusCodes) => Kind switch
    {
        ForwardOutcomeKind.NotSent or ForwardOutcomeKind.TransportError or ForwardOutcomeKind.Timeout => true,
        ForwardOutcomeKind.Response or ForwardOutcomeKind.RetryableStatus => failureStatusCodes.Contains(StatusCode),
        _ => false,
    };

    /// <summary>Whether the try counts against the destination under <paramref name="options"/>.</summary>
    public bool IsFailure(Config.CircuitBreakerOptions options) =>
        (Kind != ForwardOutcomeKind.Response || !options.RetriedStatusesOnly) && IsFailure(options.FailureStatusCodes);
}
