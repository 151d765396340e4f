namespace Gateway.Config.Nginx;

/// <summary><c>return code [text|URL]</c> / <c>return URL</c>. A 301/302/303/307/308 takes a URL, others a body; 444 closes.</summary>
public sealed record NginxReturn(int Code, NginxTemplate? Text);
