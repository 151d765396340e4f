using Gateway.Proxy;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Gateway.Tests.EndToEnd.Grpc;

/// <summary>How the gateway reads a gRPC answer's outcome for its breakers and metrics (Envoy's grpc-to-HTTP table).</summary>
public sealed class GrpcStatusMappingTests
{
    [Theory]
    [InlineData(0, 200)]
    [InlineData(1, 499)]
    [InlineData(3, 400)]
    [InlineData(4, 504)]
    [InlineData(5, 404)]
    [InlineData(8, 429)]
    [InlineData(12, 501)]
    [InlineData(13, 500)]
    [InlineData(14, 503)]
    [InlineData(2, 500)]
    [InlineData(99, 500)]
    public void ToHttp_GrpcStatus_EnvoysHttpEquivalent(int grpc, int http) => Assert.Equal(http, GrpcStatusMapping.ToHttp(grpc));

    [Fact]
    public void EffectiveStatus_StatusInTrailers_ReadFromTheTrailers()
    {
        var context = Grpc200();
        var trailers = new HeaderDictionary { ["grpc-status"] = "14" };
        context.Features.Set<IHttpResponseTrailersFeature>(new TrailersFeature(trailers));

        Assert.Equal(503, GrpcStatusMapping.EffectiveStatus(context, 200));
    }

    [Fact]
    public void EffectiveStatus_TrailersOnlyAnswer_ReadFromTheHeaders()
    {
        var context = Grpc200();
        context.Response.Headers["grpc-status"] = "4";

        Assert.Equal(504, GrpcStatusMapping.EffectiveStatus(context, 200));
    }

    [Fact]
    public void EffectiveStatus_NotGrpcOrNoStatus_Unchanged()
    {
        var json = new DefaultHttpContext();
        json.Response.ContentType = "application/json";
        json.Response.Headers["grpc-status"] = "14";

        Assert.Equal(200, GrpcStatusMapping.EffectiveStatus(json, 200));
        Assert.Equal(200, GrpcStatusMapping.EffectiveStatus(Grpc200(), 200));
        Assert.Equal(502, GrpcStatusMapping.EffectiveStatus(Grpc200(), 502));
    }

    private static DefaultHttpContext Grpc200()
    {
        var context = new DefaultHttpContext();
        context.Response.ContentType = "application/grpc";
        return context;
    }

    private sealed class TrailersFeature(IHeaderDictionary trailers) : IHttpResponseTrailersFeature
    {
        public IHeaderDictionary Trailers { get; set; } = trailers;
    }
}
