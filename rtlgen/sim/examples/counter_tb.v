// Self-checking testbench for counter.v: compares against a model every cycle, prints each
// mismatch, then a summary in VerilogEval's format ("Mismatches: N in M samples") and PASS/FAIL.
`timescale 1ns / 1ps
module counter_tb;
    reg clk = 1'b0;
    reg reset = 1'b1;
    reg en = 1'b0;
    wire [3:0] q;
    reg [3:0] expected = 4'd0;
    integer samples = 0;
    integer mismatches = 0;
    integer i;

    counter dut (.clk(clk), .reset(reset), .en(en), .q(q));

    always #5 clk = ~clk;

    initial begin
        for (i = 0; i < 40; i = i + 1) begin
            @(negedge clk);
            reset = (i < 2) || (i == 25);
            en = (i % 7) != 3;
            @(posedge clk);
            expected = reset ? 4'd0 : (en ? expected + 4'd1 : expected);
            #1;
            samples = samples + 1;
            if (q !== expected) begin
                mismatches = mismatches + 1;
                $display("cycle %0d: q=%0d, expected %0d", i, q, expected);
            end
        end
        $display("Mismatches: %0d in %0d samples", mismatches, samples);
        if (mismatches == 0)
            $display("PASS: counter matches the model on all %0d cycles", samples);
        else
            $display("FAIL: %0d of %0d cycles differ", mismatches, samples);
        $finish;
    end
endmodule
