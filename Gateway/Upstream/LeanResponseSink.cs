using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace Gateway.Upstream;

/// <summary>
/// Kestrel's response as YARP's HttpTransformer fills it from an HttpResponseMessage: status, a reason that is not
/// the status's usual one, every header but the hop-by-hop ones (repeated ones joined as repeated values), and the
/// Content-Length rules for a Transfer-Encoding answer and a bodiless status.
/// </summary>
internal struct LeanResponseSink(HttpResponse response) : ResponseHeadParser.ISink
{
    // Names HttpHeaders accepts on a response or its content (TryAddWithoutValidation); the lean client drops others.
    private static readonly ConcurrentDictionary<string, bool> s_accepted = new(StringComparer.OrdinalIgnoreCase);

    private int _status;
    private string _reason = "";
    private bool _transferEncoding;
    private StringValues _contentLength;
    private StringValues _queueDepth;
    private Exception? _copyError; // Kestrel refused a header (YARP's copy throws there: ResponseHeaders)

    /// <summary>The destination's Connection header values (their nominated headers are removed afterwards).</summary>
    public StringValues Connection;

    public void Status(int code, bool http10, string reason)
    {
        _status = code;
        _reason = reason;
    }

    public void Known(int known, string value)
    {
        switch (known)
        {
            case KnownHeaders.ContentLength:
                _contentLength = StringValues.Concat(_contentLength, value);
                break;
            case KnownHeaders.TransferEncoding:
                _transferEncoding = true;
                break;
            case KnownHeaders.Connection:
                Connection = StringValues.Concat(Connection, value);
                break;
            case KnownHeaders.QueueDepth:
                _queueDepth = StringValues.Concat(_queueDepth, value);
                break;
        }

        if (!YarpHeaderRules.KnownHopByHop[known])
        {
            Copy(KnownHeaders.Name(known), value);
        }
    }

    public void Other(string name, string value)
    {
        if (Accepted(name) && !YarpHeaderRules.HopByHop.Contains(name))
        {
            Copy(name, value);
        }
    }

    private void Copy(string name, string value)
    {
        if (_copyError is not null)
        {
            return;
        }

        try
        {
            var headers = response.Headers;
            if (!headers.TryGetValue(name, out var current) || current.Count == 0)
            {
                headers[name] = value;
            }
            else if (!name.Equals(HeaderNames.StrictTransportSecurity, StringComparison.OrdinalIgnoreCase))
            {
                headers[name] = StringValues.Concat(current, value); // YARP keeps a Strict-Transport-Security the gateway set
            }
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or ArgumentException)
        {
            _copyError = e;
        }
    }

    /// <summary>The status line's part and the Content-Length rules, once all headers are in.</summary>
    public readonly void Finish(HttpContext context)
    {
        if (_copyError is not null)
        {
            throw _copyError;
        }

        response.StatusCode = _status;
        if (!string.Equals(_reason, ReasonPhrases.GetReasonPhrase(_status), StringComparison.Ordinal))
        {
            context.Features.Get<IHttpResponseFeature>()!.ReasonPhrase = _reason;
        }

        if ((_transferEncoding && _contentLength.Count > 0) || (_status is (>= 100 and < 200) or 204 or 205 && _contentLength.ToString() == "0"))
        {
            response.Headers.Remove(HeaderNames.ContentLength);
        }
    }

    /// <summary>The X-Queue-Depth the destination reported, as the retry transform reads it (-1: none, or not one number).</summary>
    public readonly int QueueDepth() => _queueDepth.Count > 0 ? Proxy.RetryResponseTransform.QueueDepth(_queueDepth.ToString()) : -1;

    private static bool Accepted(string name)
    {
        if (s_accepted.TryGetValue(name, out var accepted))
        {
            return accepted;
        }

        using var probe = new HttpResponseMessage { Content = new ByteArrayContent([]) };
        accepted = probe.Headers.TryAddWithoutValidation(name, "") || probe.Content.Headers.TryAddWithoutValidation(name, "");
        if (s_accepted.Count < 1024)
        {
            s_accepted[name] = accepted;
        }

        return accepted;
    }
}
