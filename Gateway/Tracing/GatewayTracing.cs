using System.Diagnostics;
using Gateway.Health;
using Microsoft.AspNetCore.Http;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Yarp.ReverseProxy.Model;

namespace Gateway.Tracing;

/// <summary>
/// Spans of proxied requests: one server span per request (its parent the client's W3C traceparent, read here because
/// ASP.NET Core's own per-request Activity is off, see GatewayHost.ConfigureLogging) and one client span per try, with
/// the destination, the policy and the outcome. The try span is Activity.Current while the try runs, so the
/// SocketsHttpHandler YARP configured sends the destination a traceparent whose parent is the try (the lean client
/// hands traced requests to it). Exported by OpenTelemetry's OTLP exporter. Off (no endpoint), every method returns
/// at its first line and no Activity exists.
/// </summary>
internal sealed class GatewayTracing : IDisposable
{
    private readonly ActivitySource? _source;
    private readonly TracerProvider? _provider;

    public GatewayTracing(TracingOptions options, string sourceName)
    {
        if (!options.Enabled)
        {
            return;
        }

        _source = new ActivitySource(sourceName);
        var endpoint = new Uri(options.OtlpEndpoint!);
        var grpc = options.Protocol == TracingOptions.Grpc;
        if (!grpc && endpoint.AbsolutePath == "/")
        {
            endpoint = new Uri(endpoint, "v1/traces"); // the exporter takes a code-given URL as is; the collector's path is /v1/traces
        }

        _provider = Sdk.CreateTracerProviderBuilder()
            .ConfigureResource(resource => resource.AddService(options.ServiceName))
            .AddSource(sourceName)
            .SetSampler(new ParentBasedSampler(new TraceIdRatioBasedSampler(options.SampleRatio)))
            .AddOtlpExporter(otlp =>
            {
                otlp.Endpoint = endpoint;
                otlp.Protocol = grpc ? OtlpExportProtocol.Grpc : OtlpExportProtocol.HttpProtobuf;
                otlp.ExportProcessorType = ExportProcessorType.Batch;
                otlp.BatchExportProcessorOptions.ScheduledDelayMilliseconds = options.ExportDelayMilliseconds;
            })
            .Build();
    }

    public bool Enabled => _source is not null;

    /// <summary>Whether <paramref name="span"/> is one of this gateway's (not another component's Activity).</summary>
    public bool Owns(Activity span) => ReferenceEquals(span.Source, _source);

    /// <summary>The request's server span, child of the client's traceparent when it sent a valid one; null when off or not recorded.</summary>
    public Activity? StartRequest(HttpContext context, string routeId, string clusterId)
    {
        if (_source is null)
        {
            return null;
        }

        var headers = context.Request.Headers;
        ActivityContext.TryParse(headers.TraceParent, headers.TraceState, isRemote: true, out var parent);
        var span = _source.StartActivity($"{context.Request.Method} {routeId}", ActivityKind.Server, parent);
        if (span is { IsAllDataRequested: true })
        {
            span.SetTag(TraceAttributes.Method, context.Request.Method);
            span.SetTag(TraceAttributes.Path, context.Request.Path.Value);
            span.SetTag(TraceAttributes.ClientAddress, context.Connection.RemoteIpAddress?.ToString());
            span.SetTag(TraceAttributes.Route, routeId);
            span.SetTag(TraceAttributes.Cluster, clusterId);
        }

        return span;
    }

    /// <summary>A try's client span (Activity.Current until <see cref="EndTry"/>).</summary>
    public Activity? StartTry(HttpContext context, ClusterState cluster, DestinationState destination, int tryNumber)
    {
        if (_source is null)
        {
            return null;
        }

        var span = _source.StartActivity(context.Request.Method, ActivityKind.Client);
        if (span is { IsAllDataRequested: true })
        {
            var address = destination.Model.Config.Address;
            span.SetTag(TraceAttributes.Try, tryNumber);
            span.SetTag(TraceAttributes.Cluster, cluster.ClusterId);
            span.SetTag(TraceAttributes.Policy, cluster.Model.Config.LoadBalancingPolicy);
            span.SetTag(TraceAttributes.Destination, destination.DestinationId);
            span.SetTag(TraceAttributes.UrlFull, address);
            if (Uri.TryCreate(address, UriKind.Absolute, out var uri))
            {
                span.SetTag(TraceAttributes.ServerAddress, uri.Host);
                span.SetTag(TraceAttributes.ServerPort, uri.Port);
            }
        }

        return span;
    }

    public static void EndTry(Activity? span, ForwardOutcome outcome)
    {
        if (span is null)
        {
            return;
        }

        span.SetTag(TraceAttributes.Outcome, OutcomeName(outcome.Kind));
        span.SetTag(TraceAttributes.StatusCode, outcome.StatusCode);
        if (outcome.Kind is not (ForwardOutcomeKind.Response or ForwardOutcomeKind.ClientCanceled or ForwardOutcomeKind.ClientError) || outcome.StatusCode >= 500)
        {
            span.SetStatus(ActivityStatusCode.Error, OutcomeName(outcome.Kind));
        }

        span.Stop();
    }

    public static void EndRequest(Activity? span, int statusCode, int tries)
    {
        if (span is null)
        {
            return;
        }

        span.SetTag(TraceAttributes.StatusCode, statusCode);
        span.SetTag(TraceAttributes.Tries, tries);
        if (statusCode >= 500)
        {
            span.SetStatus(ActivityStatusCode.Error);
        }

        span.Stop();
    }

    public void Dispose()
    {
        _provider?.Dispose(); // flushes the spans still in the batch
        _source?.Dispose();
    }

    private static string OutcomeName(ForwardOutcomeKind kind) => kind switch
    {
        ForwardOutcomeKind.Response => "response",
        ForwardOutcomeKind.RetryableStatus => "retryable_status",
        ForwardOutcomeKind.NotSent => "not_sent",
        ForwardOutcomeKind.TransportError => "transport_error",
        ForwardOutcomeKind.Timeout => "timeout",
        ForwardOutcomeKind.ClientCanceled => "client_canceled",
        _ => "client_error",
    };
}
