namespace Gateway.Config.Nginx;

internal enum NginxTokenKind
{
    Word,
    Semicolon,
    OpenBrace,
    CloseBrace,
    End,
}

/// <summary>One token of nginx's configuration syntax and the line it starts on.</summary>
internal readonly record struct NginxToken(NginxTokenKind Kind, string Text, int Line);
