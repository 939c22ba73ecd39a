using Xunit;
public class T { [Fact] public void One() => Assert.Equal(1, 1); }
