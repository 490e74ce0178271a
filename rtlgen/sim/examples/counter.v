// A 4-bit counter with synchronous reset and enable: the design `make demo` simulates.
module counter (
    input  wire       clk,
    input  wire       reset,  // synchronous, active high
    input  wire       en,
    output reg  [3:0] q
);
    always @(posedge clk) begin
        if (reset)
            q <= 4'd0;
        else if (en)
            q <= q + 4'd1;
    end
endmodule
