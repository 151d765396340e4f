using Gateway.Config;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Model;

namespace Gateway.AccessLog;

/// <summary>
/// Picks the access log of a request (its route's <c>Metadata.AccessLog</c>, else its listener's) and, once the response
/// is complete, formats its line and hands it to the <see cref="AccessLogWriter"/>. With no log configured it only
/// reads the running config: the request path is unchanged when the access log is off.
/// </summary>
internal sealed class AccessLogMiddleware(RequestDelegate next, ConfigState config, AccessLogWriter writer, TimeProvider time)
{
    private readonly AccessLogWriter _writer = writer;
    private readonly TimeProvider _time = time;

    public Task InvokeAsync(HttpContext context)
    {
        if (config.Current?.Options.AccessLog is not { } options)
        {
            return next(context);
        }

        var route = context.GetEndpoint()?.Metadata.GetMetadata<RouteModel>();
        var log = options.Select(context.Connection.LocalPort, route?.Config.Metadata);
        if (log is null)
        {
            return next(context);
        }

        var record = new AccessLogRecord(_time.GetTimestamp());
        Proxy.RareFeature<AccessLogRecord>.Set(context, record);
        var counting = new Config.Nginx.CountingStream(context.Response.Body);
        context.Response.Body = counting;
        context.Response.OnCompleted(static state =>
        {
            var (self, context, record, counting, log, route) = ((AccessLogMiddleware, HttpContext, AccessLogRecord, Config.Nginx.CountingStream,
                AccessLogFileOptions, RouteModel?))state;
            var seconds = self._time.GetElapsedTime(record.StartTimestamp).TotalSeconds;
            var line = AccessLogLine.Format(log.Format, context, record, counting.Written, self._time.GetLocalNow(), seconds, route);
            self._writer.TryWrite(log.Path, line);
            return Task.CompletedTask;
        }, (this, context, record, counting, log, route));
        return next(context);
    }
}
