using Gateway.Admin;

namespace Gateway.Tests.Admin;

public class DurationBucketsTests
{
    [Fact]
    public void Parse_ExporterText_BucketsPerClusterAndDestinationInOrder()
    {
        const string text = """
            # TYPE lbproxy_request_duration_seconds histogram
            lbproxy_request_duration_seconds_bucket{otel_scope_name="LbProxy.Gateway",cluster="fleet",destination="worker-1",le="0.01"} 3
            lbproxy_request_duration_seconds_bucket{otel_scope_name="LbProxy.Gateway",cluster="fleet",destination="worker-1",le="+Inf"} 5
            lbproxy_request_duration_seconds_bucket{otel_scope_name="LbProxy.Gateway",cluster="fleet",destination="worker-1",le="0.1"} 4
            lbproxy_request_duration_seconds_bucket{cluster="odd \"one\"",destination="a,b",le="1"} 7 1700000000000
            lbproxy_request_duration_seconds_sum{cluster="fleet",destination="worker-1"} 0.5
            lbproxy_requests_total{cluster="fleet",destination="worker-1",status_class="2xx"} 5
            """;

        var buckets = DurationBuckets.Parse(text);

        Assert.Equal(2, buckets.Count);
        Assert.Equal([(0.01, 3.0), (0.1, 4.0), (double.PositiveInfinity, 5.0)], buckets[("fleet", "worker-1")]);
        Assert.Equal([(1.0, 7.0)], buckets[("odd \"one\"", "a,b")]);
    }
}
