namespace Benchmarks.Capacity;

/// <summary>
/// One ModelWorker saturated with <see cref="Concurrency"/> requests always in flight (closed loop): its throughput,
/// and by Little's law (W = L / lambda) the mean time a request spent in it. The open-loop percentiles of a
/// saturation run measure the load generator's own backlog, not the worker, so they are not reported.
/// </summary>
public sealed record CapacityMeasurement(string Model, int Concurrency, long Answers, double Seconds)
{
    public double Throughput => Answers / Seconds;

    public double MeanLatencyMs => Concurrency / Throughput * 1000;
}
