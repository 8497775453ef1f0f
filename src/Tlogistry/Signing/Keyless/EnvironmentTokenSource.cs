namespace Tlogistry.Signing.Keyless;

/// <summary>A token passed in an environment variable, read on each call.</summary>
internal sealed class EnvironmentTokenSource(string variable, Func<string, string?>? environment = null) : IIdentityTokenSource
{
    private readonly Func<string, string?> _environment = environment ?? Environment.GetEnvironmentVariable;

    public string Variable { get; } = variable;

    public Task<string> GetTokenAsync(CancellationToken cancellationToken)
    {
        var token = _environment(Variable)?.Trim();
        return string.IsNullOrEmpty(token)
            ? throw new IdentityTokenException($"environment variable {Variable} holds no identity token")
            : Task.FromResult(token);
    }
}
