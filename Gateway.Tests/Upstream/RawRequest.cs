namespace Gateway.Tests.Upstream;

/// <summary>One request as it arrived: its head (request line and headers, CRLF-terminated), decoded body and body bytes as sent.</summary>
public sealed record RawRequest(string Head, string Body, string RawBody, int Connection, int Number)
{
    public string RequestLine => Head[..Head.IndexOf("\r\n", StringComparison.Ordinal)];
}
