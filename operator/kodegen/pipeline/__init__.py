"""kodegen.pipeline"""
