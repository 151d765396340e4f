using System.Runtime.CompilerServices;

namespace Gateway.LoadBalancing;

/// <summary>
/// Peak-sensitive EWMA of response time, after Finagle's PeakEwma and Linkerd's load balancer
/// ("Beyond Round Robin: Load Balancing for Latency", Buoyant 2016): a sample above the estimate replaces it
/// at once; lower samples decay in with time constant tau, weighted by the time since the last sample.
/// Reading also decays the estimate toward zero with that time, so a destination that stopped getting
/// traffic because it was slow is eventually probed again.
/// Lock-free: the estimate is a CAS'd double; the timestamp write may race with another sample, which only
/// shifts one decay weight slightly.
/// </summary>
internal struct PeakEwma
{
    private long _estimateBits; // double seconds; 0 = no sample
    private long _stamp;

    /// <summary>When the last sample was taken (a <see cref="TimeProvider"/> timestamp).</summary>
    public readonly long Stamp => Volatile.Read(ref Unsafe.AsRef(in _stamp));

    public readonly bool HasSamples => Volatile.Read(ref Unsafe.AsRef(in _estimateBits)) != 0;

    public void Observe(double sampleSeconds, long now, TimeProvider time, TimeSpan tau)
    {
        sampleSeconds = Math.Max(sampleSeconds, 1e-6); // keep 0 meaning "no sample"
        while (true)
        {
            var oldBits = Volatile.Read(ref _estimateBits);
            var old = BitConverter.Int64BitsToDouble(oldBits);
            double next;
            if (oldBits == 0 || sampleSeconds > old)
            {
                next = sampleSeconds;
            }
            else
            {
                var w = Weight(Volatile.Read(ref _stamp), now, time, tau);
                next = (old * w) + (sampleSeconds * (1 - w));
            }

            if (Interlocked.CompareExchange(ref _estimateBits, BitConverter.DoubleToInt64Bits(next), oldBits) == oldBits)
            {
                Volatile.Write(ref _stamp, now);
                return;
            }
        }
    }

    public readonly double Read(long now, TimeProvider time, TimeSpan tau)
    {
        var bits = Volatile.Read(ref Unsafe.AsRef(in _estimateBits));
        if (bits == 0)
        {
            return 0;
        }

        return BitConverter.Int64BitsToDouble(bits) * Weight(Volatile.Read(ref Unsafe.AsRef(in _stamp)), now, time, tau);
    }

    private static double Weight(long stamp, long now, TimeProvider time, TimeSpan tau)
    {
        var elapsed = time.GetElapsedTime(stamp, now).TotalSeconds;
        return elapsed <= 0 ? 1 : Math.Exp(-elapsed / tau.TotalSeconds);
    }
}
