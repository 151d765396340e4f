using Gateway.Fleet;

namespace Gateway.Tests.Fleet;

public class WorkerMetricsSampleTests
{
    private const string Text = """
        # TYPE ml_queue_size gauge
        ml_queue_size{otel_scope_name="ModelWorker"} 7
        # TYPE ml_request_latency_seconds histogram
        ml_request_latency_seconds_bucket{otel_scope_name="ModelWorker",status="success",le="0.1"} 50
        ml_request_latency_seconds_bucket{otel_scope_name="ModelWorker",status="success",le="0.5"} 90
        ml_request_latency_seconds_bucket{otel_scope_name="ModelWorker",status="success",le="1"} 100
        ml_request_latency_seconds_bucket{otel_scope_name="ModelWorker",status="success",le="+Inf"} 100
        ml_request_latency_seconds_bucket{otel_scope_name="ModelWorker",status="timeout",le="0.1"} 0
        ml_request_latency_seconds_bucket{otel_scope_name="ModelWorker",status="timeout",le="+Inf"} 0
        """;

    [Fact]
    public void Parse_ReadsQueueAndSumsBucketsAcrossLabels()
    {
        var sample = WorkerMetricsSample.Parse(Text);
        Assert.Equal(7, sample.QueueSize);
        Assert.Equal([(0.1, 50.0), (0.5, 90.0), (1.0, 100.0), (double.PositiveInfinity, 100.0)], sample.LatencyBuckets);
    }

    [Fact]
    public void Quantile_InterpolatesLikeHistogramQuantile()
    {
        var sample = WorkerMetricsSample.Parse(Text);
        // rank 95 of 100 lies between 90 (0.5 s) and 100 (1 s): 0.5 + 0.5 x 5/10.
        Assert.Equal(0.75, sample.Quantile(null, 0.95), 6);
        Assert.Equal(0.05, sample.Quantile(null, 0.25), 6);
    }

    [Fact]
    public void Quantile_OfTheDeltaSinceEarlierSample()
    {
        var earlier = WorkerMetricsSample.Parse(Text);
        var later = WorkerMetricsSample.Parse(Text.Replace("le=\"0.1\"} 50", "le=\"0.1\"} 150", StringComparison.Ordinal)
            .Replace("le=\"0.5\"} 90", "le=\"0.5\"} 190", StringComparison.Ordinal)
            .Replace("le=\"1\"} 100", "le=\"1\"} 200", StringComparison.Ordinal)
            .Replace("status=\"success\",le=\"+Inf\"} 100", "status=\"success\",le=\"+Inf\"} 200", StringComparison.Ordinal));
        // The 100 new requests were all under 0.1 s.
        Assert.Equal(0.095, later.Quantile(earlier, 0.95), 6);
        Assert.True(double.IsNaN(earlier.Quantile(earlier, 0.95)));
    }
}
