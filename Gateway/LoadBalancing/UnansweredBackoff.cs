using System.Runtime.CompilerServices;

namespace Gateway.LoadBalancing;

/// <summary>
/// Holds back a destination that has stopped answering, with exponential backoff; kept beside its peak-EWMA.
/// <para>
/// A request that ends without an answer (the client gave up, or the gateway's try timeout fired) is a censored
/// sample: its latency is more than the time waited, by an unknown amount. While the destination answers requests
/// sent after it, the time waited is a fair lower bound and the peak-EWMA takes it (this request was merely slow).
/// When nothing sent since has come back either, the destination has stalled and its latency is unknown; the
/// estimate, made of answers it no longer gives, cannot price it (in the Linkerd 2016 scenario a stuck destination
/// whose requests were all abandoned at the 1 s client timeout kept about 1.4% of the traffic, all of it lost,
/// because healthy costs, peak estimate x in-flight, were worth about ten in-flight requests at 1 s). Finagle's
/// PeakEwma and Envoy's peak_ewma give a host with requests pending and no latency data a prohibitive cost; so does
/// <see cref="AdaptiveSelector"/> while this holds the destination back.
/// </para>
/// <para>
/// How long follows TCP's retransmission timer (RFC 6298): one timer for everything outstanding, backed off by
/// doubling when it expires (5.5), the backed-off value kept until an acknowledgement for new data arrives (Karn and
/// Partridge, 1987). Here the first stall holds the destination back for twice the time its request waited; a round
/// ends when a request sent after the last raise ends unanswered too, and doubles it, so the requests outstanding
/// when it stalled count once, not once each. Past the hold-back, one request at a time probes it (a circuit
/// breaker's half-open trial). The backoff is at most <c>limit</c> (the estimate's decay time: a destination that
/// recovers gets a probe within that plus one timeout). An answer to a request sent after the one that stalled ends
/// it; the destination then competes on its latency estimate, which the time waited has raised.
/// </para>
/// </summary>
internal struct UnansweredBackoff
{
    private long _backoffBits; // double seconds: the current hold-back length; 0 = not backing off
    private long _until;       // held back until this timestamp (and then while a probe is out)
    private long _raised;      // when the backoff was last raised (Karn)
    private long _stalled;     // when the request that last raised it was sent
    private long _answered;    // when the newest request the destination answered was sent

    /// <summary>
    /// The destination answered a request sent at <paramref name="sentAt"/>, success or error: it is not stalled. An
    /// answer to a request sent after the one that stalled ends the backoff.
    /// </summary>
    public void Answered(long sentAt)
    {
        var answered = Volatile.Read(ref _answered);
        while (sentAt > answered)
        {
            var seen = Interlocked.CompareExchange(ref _answered, sentAt, answered);
            if (seen == answered)
            {
                break;
            }

            answered = seen;
        }

        if (Volatile.Read(ref _backoffBits) != 0 && sentAt >= Volatile.Read(ref _stalled))
        {
            Volatile.Write(ref _backoffBits, 0);
        }
    }

    /// <summary>
    /// A request sent at <paramref name="sentAt"/> ended unanswered after <paramref name="waited"/> seconds. When the
    /// destination answered nothing sent since and this is the first of its round, the backoff doubles (starting from
    /// twice the time waited, at most <paramref name="limit"/>) and the destination is held back that long from now.
    /// </summary>
    public void Unanswered(long sentAt, long now, double waited, TimeSpan limit, TimeProvider time)
    {
        var raised = Volatile.Read(ref _raised);
        if (sentAt < raised || sentAt < Volatile.Read(ref _answered)
            || Interlocked.CompareExchange(ref _raised, now, raised) != raised)
        {
            return;
        }

        var backoff = BitConverter.Int64BitsToDouble(Volatile.Read(ref _backoffBits));
        var next = Math.Min(limit.TotalSeconds, 2 * Math.Max(backoff, waited));
        Volatile.Write(ref _stalled, sentAt);
        Volatile.Write(ref _until, now + (long)(next * time.TimestampFrequency));
        Volatile.Write(ref _backoffBits, BitConverter.DoubleToInt64Bits(next));
    }

    /// <summary>
    /// Whether the destination is held back at <paramref name="now"/>: during its backoff, and after it while any request
    /// is outstanding there (one probe at a time), until an answer ends the backoff.
    /// </summary>
    public readonly bool IsHeldBack(long now, long inFlight) =>
        Volatile.Read(ref Unsafe.AsRef(in _backoffBits)) != 0 && (inFlight > 0 || now < Volatile.Read(ref Unsafe.AsRef(in _until)));
}
