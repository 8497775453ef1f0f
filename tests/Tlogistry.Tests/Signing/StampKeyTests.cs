using Tlogistry.Signing;

namespace Tlogistry.Tests.Signing;

public sealed class StampKeyTests
{
    [Fact]
    public void AKeyIsMadeOnceKeptPrivateAndMadeAgainOnlyWhenItsFileIsEmpty()
    {
        using var dir = new TempDirectory();
        var path = dir.Combine(StampKey.FileName);
        var made = StampKey.LoadOrCreate(path);
        Assert.Equal(32, made.Secret.Length);
        Assert.Equal(made.Secret, StampKey.LoadOrCreate(path).Secret);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }

        // A start that stopped between creating the file and writing it.
        File.WriteAllText(path, "");
        var again = StampKey.LoadOrCreate(path);
        Assert.NotEqual(made.Secret, again.Secret);
        Assert.Equal(again.Secret, StampKey.LoadOrCreate(path).Secret);

        // Anything else is the operator's file: refused, not replaced.
        File.WriteAllText(path, "not a key");
        Assert.Contains("not hex", Assert.Throws<InvalidOperationException>(() => StampKey.LoadOrCreate(path)).Message, StringComparison.Ordinal);
        File.WriteAllText(path, "abcd");
        Assert.Contains("32 bytes", Assert.Throws<InvalidOperationException>(() => StampKey.LoadOrCreate(path)).Message, StringComparison.Ordinal);
        Assert.Equal("abcd", File.ReadAllText(path));
    }

    [Fact]
    public void TheKeyModeStampKeyFollowsTheSigningKeyAndNothingElse()
    {
        using var dir = new TempDirectory();
        using var key = InstanceKey.LoadOrCreate(dir.Combine("signing-key.pem"));
        using var same = InstanceKey.LoadOrCreate(dir.Combine("signing-key.pem"));
        using var other = InstanceKey.LoadOrCreate(dir.Combine("other.pem"));
        Assert.Equal(StampKey.From(key).Secret, StampKey.From(same).Secret);
        Assert.NotEqual(StampKey.From(key).Secret, StampKey.From(other).Secret);

        // Not the key's scalar itself: the stamp secret reveals nothing that signs.
        Assert.NotEqual(StampKey.From(key).Secret, key.DeriveSecret("another purpose", 32));
    }
}
