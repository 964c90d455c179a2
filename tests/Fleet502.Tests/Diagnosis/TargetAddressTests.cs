using Fleet502.Diagnosis;
using Fleet502.Protos.V1;

namespace Fleet502.Tests.Diagnosis;

public sealed class TargetAddressTests
{
    [Theory]
    [InlineData("127.0.0.1:3000", "Tcp", "127.0.0.1:3000", true)]
    [InlineData("[::1]:5000", "Tcp", "[::1]:5000", true)]
    [InlineData("[::ffff:10.0.0.5]:80", "Tcp", "10.0.0.5:80", false)]
    [InlineData("localhost:8080", "Tcp", "localhost:8080", true)]
    [InlineData("192.0.2.10:3000", "Tcp", "192.0.2.10:3000", false)]
    [InlineData("unix:/run/php/php8.2-fpm.sock", "Unix", "unix:/run/php/php8.2-fpm.sock", true)]
    [InlineData("backend", "Group", "backend", false)]
    [InlineData("::1", "Group", "::1", false)]
    public void Parse_CanonicalForms(string text, string kind, string canonical, bool hostLocal)
    {
        var target = TargetAddress.Parse(text);

        Assert.Equal(Enum.Parse<TargetKind>(kind), target.Kind);
        Assert.Equal(canonical, target.Text);
        Assert.Equal(hostLocal, target.IsHostLocal);
    }

    [Fact]
    public void FromProto_UsesHostAndPortWhenTheAddressIsEmpty()
    {
        var target = TargetAddress.FromProto(new UpstreamTarget { Host = "::1", Port = 3000 });

        Assert.Equal("[::1]:3000", target?.Text);
    }

    [Fact]
    public void FromProto_NothingUsable_IsNull()
    {
        Assert.Null(TargetAddress.FromProto(null));
        Assert.Null(TargetAddress.FromProto(new UpstreamTarget { Scheme = "http" }));
        Assert.Null(TargetAddress.FromProto(new UpstreamTarget { IsGroup = true }));
    }

    public static TheoryData<UpstreamTarget, bool> Targets() => new()
    {
        { new() { Scheme = "http" }, false },
        { new() { IsGroup = true }, false },
        { new() { IsGroup = true, Address = "  " }, false },
        { new() { IsGroup = true, Address = "backend" }, true },
        { new() { UnixPath = "/run/php/php8.2-fpm.sock" }, true },
        { new() { UnixPath = " " }, false },
        { new() { Address = "127.0.0.1:3000" }, true },
        { new() { Address = "not an address" }, true }, // a group name: nothing to check, still a target
        { new() { Host = "app-1", Port = 3000 }, true },
        { new() { Host = "app-1", Port = 0 }, false },
        { new() { Host = "app-1", Port = 70000 }, false },
        { new() { Host = " ", Port = 3000 }, false },
    };

    [Theory]
    [MemberData(nameof(Targets))]
    public void IsUsable_SaysWhetherFromProtoReadsATarget(UpstreamTarget target, bool usable)
    {
        Assert.Equal(usable, TargetAddress.IsUsable(target));
        Assert.Equal(usable, TargetAddress.FromProto(target) is not null);
    }
}
